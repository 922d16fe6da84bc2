"""The queue's home: where it lives, that it is made only when used, what it refuses."""

from pathlib import Path

import pytest

from matcher import create_app, jobs, jobs_tasks
from tests.conftest import app_test_config


def test_the_queue_file_is_made_when_first_used_not_with_the_app(tmp_path: Path) -> None:
    path = tmp_path / "queue" / "jobs.sqlite"
    app = create_app(app_test_config("sqlite://", JOBS_URL=f"sqlite:///{path}"))
    assert not path.parent.exists()  # an app that never enqueues leaves nothing behind
    assert jobs.depth(app) == 0 and jobs.pending_ids(app) == set()
    assert path.exists()


def test_the_default_queue_lives_in_the_instance_folder() -> None:
    assert (
        jobs.default_url("/srv/matcher/instance") == "sqlite:////srv/matcher/instance/jobs.sqlite"
    )


def test_an_unknown_jobs_url_is_refused() -> None:
    with pytest.raises(ValueError, match="JOBS_URL must start with"):
        jobs.make_queue("postgresql://db/jobs")


def test_the_jobs_are_registered_on_each_apps_queue(tmp_path: Path) -> None:
    app = create_app(app_test_config("sqlite://", JOBS_URL=f"sqlite:///{tmp_path / 'j.sqlite'}"))
    registry = jobs.queue(app)._registry
    assert {"matcher.jobs_tasks.matching.run", "matcher.jobs_tasks.matching.reap",
            "matcher.jobs_tasks.imports.run", "matcher.jobs_tasks.imports.reap"} <= set(
        registry._registry
    ), registry._registry  # fmt: skip
    assert [t.__name__ for t in registry._periodic_tasks] == [
        jobs_tasks.REAP_RUNS, jobs_tasks.REAP_IMPORTS, jobs_tasks.SEND_DIGESTS]  # fmt: skip
