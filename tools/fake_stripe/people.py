"""People and places of the fake Stripe accounts.

Two shapes, one per tool. The synthesizer draws a country by weight, with
its currency, locale and one city (`COUNTRIES`) and names from a single
list (`FIRST_NAMES`, `LAST_NAMES`). The populator picks a currency first,
then an address and names that fit it (`ADDRESSES_BY_CURRENCY`,
`FIRST_NAMES_BY_CURRENCY`, `LAST_NAMES_BY_CURRENCY`). Each tool's output is a
pure function of its seed, so the lists stay as they are.
"""

COUNTRIES = (  # country, currency, locale, city, postal code, weight
    ("US", "usd", "en-US", "Austin", "78701", 46),
    ("CA", "usd", "en-CA", "Toronto", "M5V 2T6", 5),
    ("DE", "eur", "de-DE", "Berlin", "10115", 10),
    ("FR", "eur", "fr-FR", "Paris", "75002", 7),
    ("NL", "eur", "nl-NL", "Utrecht", "3511", 4),
    ("ES", "eur", "es-ES", "Madrid", "28013", 3),
    ("GB", "gbp", "en-GB", "London", "EC1V 9HX", 13),
    ("JP", "jpy", "ja-JP", "Tokyo", "100-0005", 12),
)
FIRST_NAMES = (  # noqa: SIM905 (a list literal would run to 22 lines)
    "Ada Alan Grace Linus Barbara Ken Margaret Dennis Frances Edsger "
    "Radia John Hedy Tim Katherine Guido Anita Bjarne Yukihiro Sophie "
    "Hiro Lena"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Ritchie "
    "Allen Dijkstra Perlman Backus Lamarr Berners Johnson Rossum Borg "
    "Stroustrup Matsumoto Wilson Tanaka Meyer"
).split()
ADDRESSES_BY_CURRENCY = {  # country, city, state, postal code
    "usd": (
        ("US", "New York", "NY", "100{:02d}"),
        ("US", "Austin", "TX", "787{:02d}"),
        ("US", "Seattle", "WA", "981{:02d}"),
        ("US", "Chicago", "IL", "606{:02d}"),
        ("US", "Denver", "CO", "802{:02d}"),
    ),
    "eur": (
        ("DE", "Berlin", None, "101{:02d}"),
        ("FR", "Lyon", None, "690{:02d}"),
        ("NL", "Utrecht", None, "35{:02d} AB"),
        ("ES", "Valencia", None, "460{:02d}"),
        ("IT", "Torino", None, "101{:02d}"),
    ),
    "jpy": (
        ("JP", "Tokyo", "Tokyo", "100-00{:02d}"),
        ("JP", "Osaka", "Osaka", "530-00{:02d}"),
        ("JP", "Fukuoka", "Fukuoka", "810-00{:02d}"),
    ),
}
FIRST_NAMES_BY_CURRENCY = {
    "usd": ("Olivia", "Liam", "Ava", "Noah", "Mia", "Ethan", "Harper", "Lucas"),
    "eur": ("Lena", "Mathis", "Sofia", "Daan", "Lucía", "Jonas", "Chiara", "Élise"),
    "jpy": ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Riku", "Mei"),
}
LAST_NAMES_BY_CURRENCY = {
    "usd": ("Johnson", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Clark"),
    "eur": ("Müller", "Dubois", "de Vries", "Fernández", "Rossi", "Schmidt"),
    "jpy": ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"),
}
