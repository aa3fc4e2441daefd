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
