"""``quizgen generate SPEC``: build the exam of a spec and write its folder of outputs."""
from __future__ import annotations



def register(sub):
    p = sub.add_parser(
        "generate", help="write an exam's PDFs, keys, scanner CSV, Canvas zip and manifest",
        description="Build every version of the exam described by SPEC (a YAML file; see "
                    "docs/exam-spec.md) and write OUT/<exam-slug>/: exam_v1.pdf…, key_v1.pdf…, "
                    "answer_key.csv, canvas_qti.zip, manifest.json and, when the spec enables "
                    "it, practice.html. Nothing is written if anything fails.")
    p.add_argument("spec", metavar="SPEC", help="exam spec (YAML)")
    p.add_argument("--out", default="output", metavar="DIR",
                   help="parent folder of the exam folder (default: output)")
    p.add_argument("--seed", type=int, metavar="N", help="override the spec's seed")
    p.add_argument("--versions", type=int, metavar="K", help="override the number of versions")
    p.add_argument("--force", action="store_true",
                   help="replace an existing exam folder (only once the new one is complete)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no file listing; print only the folder")
    p.set_defaults(func=run)


def run(args) -> int:
    from quizgen.assemble import assemble
    from quizgen.output import check_target, target_folder, write_exam_folder
    from quizgen.progress import Progress
    from quizgen.spec import load_spec

    spec = load_spec(args.spec)
    check_target(target_folder(args.out, spec.slug), args.force)   # fail before the work
    bar = Progress("building", enabled=None if not args.quiet else False)
    try:
        assembly = assemble(spec, seed=args.seed, versions=args.versions, progress=bar)
        bar.label = "writing "
        written = write_exam_folder(assembly, args.out, force=args.force, progress=bar)
    finally:
        bar.close()
    if not args.quiet:
        for kind, names in written.files:
            shown = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)})"
            print(f"  {kind + ':':15s}{shown}")
    print(f"wrote {written.folder}")
    return 0
