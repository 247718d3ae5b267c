# Generates events-sample.csv: 2,940 fictional events for tests, benchmarks and the README.
# Run: python3 assets/samples/make_events_sample.py   (deterministic: the same file each time)
#
# The model (documented so that what the tools find can be checked against what was planted):
# - 2,700 background events: places uniform over a 40 km x 40 km exercise region centred on
#   52.00 N, 5.00 E; times uniform over 1 March - 30 June 2024 (UTC); categories drawn evenly.
# - 12 planted episodes of 20 events each (240): each around a centre drawn in the region, the
#   events within 150 m of it (uniform over the disc) and within 40 minutes of its time.
# - Planted errors, flagged by the importer and left as they are: 3 typo years (2042, 2014,
#   2204 for 2024), 2 rows with latitude and longitude swapped, and 55 rows whose coordinates
#   are all the same town centre (52.09000, 5.12000) standing in for unknown places.
# The events, titles and sources are invented; example.org is a domain reserved for examples.
import csv, math, os, random
from datetime import datetime, timedelta

rng = random.Random(2024)
LAT0, LON0 = 52.0, 5.0
M_LAT = 111_320.0
M_LON = 111_320.0 * math.cos(math.radians(LAT0))
START, END = datetime(2024, 3, 1), datetime(2024, 6, 30, 23, 59)
KINDS = ["shelling", "impact", "video", "witness", "checkpoint", "damage"]

def where(e, n):
    return LAT0 + n / M_LAT, LON0 + e / M_LON

rows = []
for _ in range(2700):
    e, n = rng.uniform(-20_000, 20_000), rng.uniform(-20_000, 20_000)
    t = START + timedelta(seconds=rng.uniform(0, (END - START).total_seconds()))
    rows.append(["background", *where(e, n), t, rng.choice(KINDS)])
for k in range(12):
    ce, cn = rng.uniform(-18_000, 18_000), rng.uniform(-18_000, 18_000)
    ct = START + timedelta(seconds=rng.uniform(0, (END - START).total_seconds()))
    for _ in range(20):
        r, a = 150 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        t = ct + timedelta(minutes=rng.uniform(-40, 40))
        rows.append([f"episode {k + 1}", *where(ce + r * math.cos(a), cn + r * math.sin(a)), t, "shelling"])
rng.shuffle(rows)
for k, year in zip((100, 1500, 2600), (2042, 2014, 2204)):
    rows[k][0] = "typo year"
    rows[k][3] = rows[k][3].replace(year=year)
for k in (700, 2200):
    rows[k][0] = "swapped coordinates"
    rows[k][1], rows[k][2] = rows[k][2], rows[k][1]
for k in range(300, 2940, 47)[:55]:
    rows[k][0] = "town centre"
    rows[k][1], rows[k][2] = 52.09, 5.12

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "events-sample.csv")
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "latitude", "longitude", "date", "time", "type", "title", "source", "planted"])
    for n, (what, lat, lon, t, kind) in enumerate(rows, 1):
        w.writerow([n, f"{lat:.5f}", f"{lon:.5f}", t.strftime("%Y-%m-%d"), t.strftime("%H:%M"),
                    kind, f"Report {n}: {kind}", f"https://example.org/reports/{n}", what])
print(f"{len(rows)} rows written to {out}")
