"""Word pools for the synthetic workspace: (display text, ASCII slug) pairs so that names can be
non-ASCII while domains and e-mail addresses stay plausible."""

FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Anna", "anna"),
    ("Łukasz", "lukasz"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Søren", "soren"),
    ("Björn", "bjorn"),
    ("Chloé", "chloe"),
    ("Ngozi", "ngozi"),
    ("Mehmet", "mehmet"),
    ("Aiko", "aiko"),
    ("François", "francois"),
    ("Ingrid", "ingrid"),
    ("Dmitri", "dmitri"),
    ("Priya", "priya"),
    ("Seán", "sean"),
    ("Mia", "mia"),
    ("Jürgen", "jurgen"),
    ("Ana", "ana"),
    ("Kwame", "kwame"),
    ("Lucía", "lucia"),
    ("Oliver", "oliver"),
    ("Émilie", "emilie"),
    ("Hiroshi", "hiroshi"),
    ("Zoltán", "zoltan"),
    ("Fatima", "fatima"),
    ("Mary-Jane", "maryjane"),
    ("Wei", "wei"),
    ("Agnieszka", "agnieszka"),
    ("Tomás", "tomas"),
    ("Sara", "sara"),
)

LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("Müller", "mueller"),
    ("Żółć", "zolc"),
    ("O'Brien", "obrien"),
    ("García", "garcia"),
    ("Nguyễn", "nguyen"),
    ("Smith", "smith"),
    ("Kowalski", "kowalski"),
    ("Øster", "oster"),
    ("Dubois", "dubois"),
    ("Yılmaz", "yilmaz"),  # noqa: RUF001
    ("Tanaka", "tanaka"),
    ("van der Berg", "vanderberg"),
    ("Okafor", "okafor"),
    ("Ivanova", "ivanova"),
    ("Schäfer", "schafer"),
    ("da Silva", "dasilva"),
    ("Johansson", "johansson"),
    ("Lefèvre", "lefevre"),
    ("Patel", "patel"),
    ("Brown", "brown"),
    ("Novák", "novak"),
    ("Fernández", "fernandez"),
    ("Kim", "kim"),
    ("MacLeod", "macleod"),
    ("Łęcka", "lecka"),
    ("Andersen", "andersen"),
)

COMPANY_STEMS: tuple[tuple[str, str], ...] = (
    ("Müller & Söhne", "mueller-soehne"),
    ("Acme", "acme"),
    ("Nordlicht", "nordlicht"),
    ("Blue Harbor", "blueharbor"),
    ("Żabka Tech", "zabkatech"),
    ("Sakura", "sakura"),
    ("Quantum Leaf", "quantumleaf"),
    ("Café Olé", "cafeole"),
    ("Brightline", "brightline"),
    ("Fjällräven Data", "fjalldata"),
    ("Orion", "orion"),
    ("Kōbe Robotics", "koberobotics"),
    ("Les Ateliers Réunis", "ateliers-reunis"),
    ("Pinecrest", "pinecrest"),
    ("Vector", "vector"),
    ("Helix", "helix"),
    ("Açaí Labs", "acailabs"),
    ("Northwind", "northwind"),
    ("Đông Á", "donga"),
    ("Ironbridge", "ironbridge"),
    ("Lumen", "lumen"),
    ("Tessera", "tessera"),
)

COMPANY_SUFFIXES: tuple[str, ...] = (
    " GmbH",
    " Inc.",
    " Ltd",
    " SA",
    " AB",
    " B.V.",
    " Sp. z o.o.",
    " LLC",
    "",
    " Group",
    " AG",
)

JAPANESE_COMPANIES: tuple[tuple[str, str], ...] = (
    ("株式会社山田製作所", "yamada-ss"),
    ("株式会社ソラテック", "soratec"),
    ("東京データ株式会社", "tokyo-data"),
    ("合同会社みらい", "mirai-llc"),
)

TLDS: tuple[str, ...] = (".com", ".de", ".io", ".co.uk", ".fr", ".pl", ".jp", ".se", ".nl")

INDUSTRIES: tuple[str, ...] = (
    "Software",
    "Manufacturing",
    "Logistics",
    "Healthcare",
    "Retail",
    "Fintech",
    "Energy",
    "Food & Beverage",
    "Biotech",
    "Consulting",
)

TITLES: tuple[str, ...] = (
    "Head of Sales",
    "CTO",
    "VP Marketing",
    "Chief Executive Officer",
    "Data Engineer",
    "Directrice financière",
    "Einkaufsleiter",
    "Account Executive",
    "Founder & CEO",
    "Operations Manager",
    "Head of Growth",
    "営業部長",
)

SIGNAL_TOPICS: tuple[str, ...] = (
    "Funding rounds",
    "Hiring spree",
    "New CFO",
    "Expansion to DACH",
    "Tech stack change",
    "Leadership change",
    "Product launch",
    "Office opening",
    "M&A rumours",
    "Job posts: data team",
    "Pricing page changes",
    "Conference sponsors",
)

CRONS: tuple[str, ...] = ("0 8 * * 1-5", "*/30 * * * *", "0 6 * * 1", "15 9 1 * *", "0 */4 * * *")

RESULT_TEMPLATES: tuple[str, ...] = (
    "{company} raises a Series B",
    "{company} is hiring a {title}",
    "{company} opens an office in Kraków",
    "New {title} at {company}",
    "{company} announces a partnership",
    "{company} launches “Nova” — a new product line",
    "Leadership change at {company}",
)

UNLISTED_COMPANIES: tuple[str, ...] = ("Nimbus Analytics", "Ōkami Ventures", "Stealth startup")

NEWS_HOSTS: tuple[str, ...] = (
    "news.example.com",
    "techpress.example.org",
    "handelsblatt.example.de",
    "jobs.example.net",
)
