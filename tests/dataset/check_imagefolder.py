"""Checks a WatserFace face dataset with Python's standard library only, as a user's notebook would read it
before datasets.load_dataset("imagefolder", data_dir=...). Prints one line per problem; exit 1 if any.
Usage: python3 check_imagefolder.py DATASET_DIR"""
import json
import os
import sys


def check(folder):
    problems = []
    card = json.load(open(os.path.join(folder, "dataset.json")))
    lines = open(os.path.join(folder, "metadata.jsonl"), encoding="utf-8").read().splitlines()
    masks = 0
    for number, line in enumerate(lines, 1):
        row = json.loads(line)
        where = f"line {number}"
        if not os.path.isfile(os.path.join(folder, row["file_name"])):
            problems.append(f"{where}: {row['file_name']} is missing")
        expect = {"source": str, "frame_index": int, "timestamp": (int, float), "score": (int, float)}
        for field, kind in expect.items():
            if not isinstance(row[field], kind):
                problems.append(f"{where}: {field} is {type(row[field]).__name__}")
        if len(row["bbox"]) != 4:
            problems.append(f"{where}: bbox has {len(row['bbox'])} numbers")
        for field, count, dims in (("keypoints_5", 5, 2), ("landmarks_68", 68, 2), ("landmarks_478", 478, 3)):
            points = row[field]
            if points is None and field != "keypoints_5":
                continue
            if len(points) != count or any(len(p) != dims for p in points):
                problems.append(f"{where}: {field} is not {count} points of {dims} numbers")
        if not all(isinstance(v, (int, float)) for v in row["embedding"]):
            problems.append(f"{where}: embedding holds non-numbers")
        if row["mask_file_name"] is not None:
            masks += 1
            if row["mask_origin"] not in ("hull", "xseg", "painted"):
                problems.append(f"{where}: mask_origin {row['mask_origin']!r}")
        for field in ("mask_file_name", "arcface_file_name"):
            if row[field] is not None and not os.path.isfile(os.path.join(folder, row[field])):
                problems.append(f"{where}: {row[field]} is missing")
        matrix = row["crop_matrix"]
        if matrix is not None and (len(matrix) != 2 or any(len(r) != 3 for r in matrix)):
            problems.append(f"{where}: crop_matrix is not 2 rows of 3 numbers")
    if card["images"] != len(lines) or card["masks"] != masks:
        problems.append("dataset.json counts disagree with metadata.jsonl")
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1])
    for problem in found:
        print(problem)
    sys.exit(1 if found else 0)
