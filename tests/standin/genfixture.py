#!/usr/bin/python3
"""Write a stand-in fixture (JSON) for tests, the demo and benchmarks.

  genfixture.py [--regions all|R1,R2] [--disabled R1,R2|none] [--functions N]
                [--lookalikes/--no-lookalikes] [--lookalike-regions N] [--layers L] [--layer-versions V]
                [--buckets B] [--objects O] [--object-versions K]
                [--delete-marker-every M] [--young-fraction F] [--seed S]
                [--account ID] [-o FILE]

Per enabled region: N in-scope functions (remotion-*), L in-scope layers
with V versions each, and (with --lookalikes) out-of-scope look-alike
functions and layers.  Buckets: B in-scope buckets spread over the enabled
regions, every other one versioned (K versions per key, a delete marker on
every M-th key), O objects each, plus out-of-scope look-alike buckets.
Ages run from 0 to 120 days; about --young-fraction of the resources are
younger than 7 days.  Output is deterministic for a given --seed.
"""
import argparse
import json
import random
import sys

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from awsstandin.util import REMOTION_REGIONS, DEFAULT_DISABLED_REGIONS  # noqa: E402

# Names that look like Remotion's but are out of scope (case, separator,
# prefix, bare word, and a Cyrillic "о" in place of the Latin "o").
LOOKALIKE_FUNCTIONS = ["Remotion-x", "remotionfan", "remotion_x", "xremotion-a", "remotion",
                       "rem\u043etion-render-cyrillic"]
LOOKALIKE_LAYERS = ["Remotion-binaries", "remotionfan-layer", "remotion_x", "xremotion-a", "remotion",
                    "rem\u043etion-binaries"]
LOOKALIKE_BUCKETS = ["remotionfan", "xremotion-a", "remotion", "remotionlambda", "my-remotion-renders",
                     "rem\u043etion-cyrillic"]
VERSIONS = ["4-0-100", "4-0-154", "4-0-201", "3-3-98", "4-0-0-beta"]
ODD_KEYS = ["renders/a b+c%d&e<f>.json", "sites/\u00fcber/\u00e4 b.txt", "input-props/x=y?z.json",
            "renders/~tilde/$dollar/'quote'.json"]


def region_code(r):
    return r.replace("-", "")


def build(args):
    rng = random.Random(args.seed)
    regions = REMOTION_REGIONS if args.regions == "all" else [r for r in args.regions.split(",") if r]
    if args.disabled == "none":
        disabled = []
    elif args.disabled is None:
        disabled = [r for r in DEFAULT_DISABLED_REGIONS if r in regions]
    else:
        disabled = [r for r in args.disabled.split(",") if r]
    enabled = [r for r in regions if r not in disabled]

    def age():
        if rng.random() < args.young_fraction:
            return round(rng.uniform(0.1, 6.5), 2)
        return round(rng.uniform(7.5, 120.0), 2)

    doc = {
        "account_id": args.account,
        "regions": regions,
        "disabled_regions": disabled,
        "users": [{"user_name": "janitor-test", "access_key": "AKIDJANITORTEST",
                   "secret_key": "janitor/test+secret/NOT-A-REAL-KEY/00000", "user_id": "AIDAJANITORTEST00000"}],
        "functions": [], "layers": [], "buckets": [],
    }
    for ri, r in enumerate(enabled):
        used = set()
        lookalikes = args.lookalikes and (args.lookalike_regions is None or ri < args.lookalike_regions)
        for i in range(args.functions):
            style = i % 4
            if style == 3:
                name = "remotion-render-%08x" % rng.getrandbits(32)
            elif style == 2 and i % 8 == 2:
                name = "remotion-render-2021-06-%02d-%dmb-%dsec" % (1 + i % 28, 1024 * (1 + i % 3), 60 * (1 + i % 5))
            else:
                mem = [2048, 3009, 10240][i % 3]
                disk = [2048, 4096][i % 2]
                name = "remotion-render-%s-mem%dmb-disk%dmb-%dsec" % (VERSIONS[i % len(VERSIONS)], mem, disk,
                                                                     120 + 60 * (i % 4))
            if name in used:
                name = "remotion-render-%08x" % rng.getrandbits(32)
            used.add(name)
            doc["functions"].append({"region": r, "name": name, "age_days": age(),
                                     "memory_mb": 2048, "timeout_s": 120, "disk_mb": 2048})
        if lookalikes:
            for name in LOOKALIKE_FUNCTIONS:
                doc["functions"].append({"region": r, "name": name, "age_days": age()})
        for j in range(args.layers):
            name = "remotion-binaries-%s" % ["arm64", "x86", "chromium", "fonts"][j % 4] + ("" if j < 4 else "-%d" % j)
            vers = [{"version": v + 1, "age_days": round(120 - v * (113.0 / max(1, args.layer_versions)), 2)}
                    for v in range(args.layer_versions)]
            if vers and rng.random() < args.young_fraction:
                vers[-1]["age_days"] = 1.5
            doc["layers"].append({"region": r, "name": name, "versions": vers})
        if lookalikes and args.layers:
            for name in LOOKALIKE_LAYERS:
                doc["layers"].append({"region": r, "name": name, "versions": [{"version": 1, "age_days": age()}]})
    for k in range(args.buckets):
        r = enabled[k % len(enabled)]
        versioned = k % 2 == 1
        if k % 5 == 4:
            name = "remotion-%s-legacy-%d" % (region_code(r), k)
        else:
            name = "remotionlambda-%s-%s" % (region_code(r), "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                                                     for _ in range(10)))
        b = {"name": name, "region": r, "age_days": age(), "versioning": "Enabled" if versioned else None,
             "website": k % 3 == 0, "objects": []}
        for o in range(args.objects):
            if o < len(ODD_KEYS) and o < args.objects // 2:
                key = ODD_KEYS[o]
            else:
                key = ["renders/%s/out.mp4", "renders/%s/progress.json", "sites/%s/index.html",
                       "input-props/%s.json"][o % 4] % ("%010x" % rng.getrandbits(40))
            obj = {"key": key, "size": rng.randint(100, 5000000), "age_days": age()}
            if versioned:
                obj["versions"] = args.object_versions
                if args.delete_marker_every and o % args.delete_marker_every == 0:
                    obj["delete_marker"] = True
            b["objects"].append(obj)
        doc["buckets"].append(b)
    if args.lookalikes:
        for i, name in enumerate(LOOKALIKE_BUCKETS):
            doc["buckets"].append({"name": name, "region": enabled[i % len(enabled)], "age_days": 60,
                                   "objects": [{"key": "keep/me.txt", "size": 10}]})
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--regions", default="all")
    p.add_argument("--disabled", default=None, help="comma list, or 'none' (default: %s)"
                   % ",".join(DEFAULT_DISABLED_REGIONS))
    p.add_argument("--functions", type=int, default=3)
    p.add_argument("--lookalikes", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--lookalike-regions", type=int, default=None,
                   help="only the first N enabled regions get look-alike functions/layers (default: all)")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--layer-versions", type=int, default=3)
    p.add_argument("--buckets", type=int, default=4)
    p.add_argument("--objects", type=int, default=20)
    p.add_argument("--object-versions", type=int, default=2)
    p.add_argument("--delete-marker-every", type=int, default=3)
    p.add_argument("--young-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--account", default="123456789012")
    p.add_argument("-o", "--output", default="-")
    args = p.parse_args(argv)
    doc = build(args)
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
