"""Demographic tables: synthetic name stems (Synthea appends digits), Massachusetts places, OMB race/ethnicity."""

from __future__ import annotations

MALE_NAMES = (
    "Abe", "Alden", "Benjamin", "Carlos", "Charles", "Dante", "Diego", "Edward", "Felipe", "Gordon", "Garland",
    "Herschel", "Ian", "Jayson", "Jim", "Johnny", "Juan", "Kevin", "Lowell", "Lucius", "Malcom", "Marcus",
    "Nathan", "Oscar", "Pedro", "Quentin", "Rodney", "Sammie", "Teodoro", "Theodore", "Travis", "Ulysses",
    "Victor", "Walter", "Xavier", "Young", "Zachary", "Houston", "Ahmed", "Bryan",
)
FEMALE_NAMES = (
    "Agustina", "Beatris", "Corrin", "Delores", "Ellena", "Ethelyn", "Fidelia", "Florrie", "Gertrud", "Hana",
    "Ilene", "Jacquelyn", "Kenya", "Layla", "Leticia", "Lorena", "Luisa", "Maryjane", "Maximina", "Nan",
    "Ophelia", "Pamela", "Queen", "Reatha", "Shery", "Sophia", "Tama", "Terese", "Ursula", "Vanita",
    "Wendy", "Ximena", "Yolanda", "Zelda", "Allene", "Ronni", "Lillia", "Maryland", "Erin", "Dana",
)
FAMILY_NAMES = (
    "Anderson", "Auer", "Batz", "Beahan", "Bogan", "Bosco", "Buckridge", "Cronin", "Cummerata", "DuBuque",
    "Erdman", "Fay", "Ferry", "Garza", "Goodwin", "Harvey", "Hilll", "Jacobi", "Kilback", "Klocko", "Kutch",
    "Lebsack", "Macías", "McClure", "Mosciski", "Mraz", "Ortiz", "Paucek", "Reilly", "Renner", "Sauer",
    "Schamberger", "Schiller", "Schmitt", "Schuster", "Solorio", "Toy", "Villa", "Volkman", "Walter", "West",
    "Williamson", "Abbott", "Bernier", "Collins", "Dickens", "Emard", "Frami", "Gislason", "Hane", "Jast",
    "Kuhn", "Lind", "Marvin", "Nader", "O'Keefe", "Pfeffer", "Quigley", "Runolfsdottir", "Stark", "Tromp",
)
# (city, postal code, latitude, longitude)
CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("Boston", "02120", 42.3601, -71.0589), ("Worcester", "01607", 42.2626, -71.8023),
    ("Springfield", "01108", 42.1015, -72.5898), ("Lowell", "01851", 42.6334, -71.3162),
    ("Cambridge", "02138", 42.3736, -71.1097), ("New Bedford", "02740", 41.6362, -70.9342),
    ("Brockton", "02301", 42.0834, -71.0184), ("Quincy", "02169", 42.2529, -71.0023),
    ("Lynn", "01902", 42.4668, -70.9495), ("Fall River", "02790", 41.7015, -71.1550),
    ("Newton", "02461", 42.3370, -71.2092), ("Lawrence", "01841", 42.7070, -71.1631),
    ("Somerville", "02145", 42.3876, -71.0995), ("Framingham", "01701", 42.2793, -71.4162),
    ("Haverhill", "01830", 42.7762, -71.0773), ("Waltham", "02453", 42.3765, -71.2356),
    ("Malden", "02148", 42.4251, -71.0662), ("Medford", "02155", 42.4184, -71.1062),
    ("Taunton", "02780", 41.9001, -71.0898), ("Chicopee", "01020", 42.1487, -72.6079),
    ("Weymouth", "02190", 42.2180, -70.9410), ("Revere", "02151", 42.4084, -71.0120),
    ("Peabody", "01960", 42.5279, -70.9287), ("Pittsfield", "01201", 42.4501, -73.2454),
    ("Salem", "01970", 42.5195, -70.8967), ("Fitchburg", "01420", 42.5834, -71.8023),
    ("Marlborough", "01752", 42.3459, -71.5523), ("Oxford", "01540", 42.1168, -71.8648),
    ("Lexington", "02421", 42.4473, -71.2245), ("Watertown", "02472", 42.3709, -71.1828),
    ("Amherst", "01002", 42.3732, -72.5199), ("Northampton", "01060", 42.3251, -72.6412),
    ("Barnstable", "02630", 41.7003, -70.3002), ("Plymouth", "02360", 41.9584, -70.6673),
)
STREETS = ("Main Street", "Elm Street", "Maple Avenue", "Oak Lane", "Pine Road", "Cedar Court", "Lake Drive",
           "Hill Terrace", "River Road", "Park Way", "Dare Tunnel", "Ledner Gardens", "Bergstrom Route")

OMB = "urn:oid:2.16.840.1.113883.6.238"
# (code, display, note adjective, weight)
RACES: tuple[tuple[str, str, str, int], ...] = (
    ("2106-3", "White", "white", 72),
    ("2054-5", "Black or African American", "black", 9),
    ("2028-9", "Asian", "asian", 7),
    ("1002-5", "American Indian or Alaska Native", "native", 1),
    ("2076-8", "Native Hawaiian or Other Pacific Islander", "hawaiian", 1),
    ("2131-1", "Other Race", "other", 10),
)
ETHNICITIES: tuple[tuple[str, str, str], ...] = (
    ("2186-5", "Not Hispanic or Latino", "nonhispanic"),
    ("2135-2", "Hispanic or Latino", "hispanic"),
)
MARITAL: tuple[tuple[str, str], ...] = (("M", "Married"), ("S", "Never Married"), ("D", "Divorced"),
                                        ("W", "Widowed"))

ORG_KINDS = ("PRIMARY CARE", "MEDICAL CENTER", "HOSPITAL", "FAMILY PRACTICE", "URGENT CARE", "HEALTH CENTER")
SPECIALTIES: tuple[tuple[str, str], ...] = (
    ("208D00000X", "General Practice Physician"), ("207R00000X", "Internal Medicine Physician"),
    ("207RC0000X", "Cardiovascular Disease Physician"), ("2084N0400X", "Neurology Physician"),
    ("207P00000X", "Emergency Medicine Physician"), ("2085R0202X", "Diagnostic Radiology Physician"),
)
