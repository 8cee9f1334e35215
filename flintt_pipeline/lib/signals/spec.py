"""The signals file: parsing and validating it completely before any request is made.

Every problem is reported, each naming the file, the line and the field, so one run of `plan`
shows all of them. PyYAML's composed nodes carry their line, which the plain loader drops; a
mapping's duplicate key, which the plain loader silently collapses, is an error here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

STATUSES = ("active", "paused")
FIELDS = ("key", "name", "description", "status", "schedule")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
# Reports one problem: the node it is at (for its line), where in the file, and what is wrong.
Report = Callable[[yaml.Node | None, str, str], None]
EXAMPLE = "signals:\n  - key: funding-fintech\n    name: Funding rounds\n    schedule: 0 8 * * 1-5"


@dataclass(frozen=True, kw_only=True)
class SignalSpec:
    """One declared signal; `line` is where it starts in the file."""

    key: str
    name: str
    description: str | None
    status: str
    schedule: str | None
    line: int = 0


class SpecError(ValueError):
    """The file is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_spec(path: Path) -> list[SignalSpec]:
    """The signals declared in `path`; SpecError naming every problem otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            [f"{path}: no such file (set FLINTT_SIGNALS_FILE or run `signals export`)"]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError([f"{path}: cannot read it ({type(error).__name__})"]) from None
    return parse_spec(text, source=str(path))


def parse_spec(text: str, *, source: str) -> list[SignalSpec]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 0
        raise SpecError([f"{source}:{line}: not valid YAML: {error.problem}"]) from None
    except yaml.YAMLError as error:
        raise SpecError([f"{source}: not valid YAML: {error}"]) from None
    problems: list[str] = []

    def problem(node: yaml.Node | None, where: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        problems.append(f"{source}:{line}: {where}: {message}")

    if not isinstance(root, yaml.MappingNode):
        raise SpecError(
            [f"{source}:1: the file must be a mapping with a `signals` list, e.g.\n{EXAMPLE}"]
        )
    items: yaml.Node | None = None
    for key_node, value in _pairs(root, "(top level)", problem):
        if key_node.value == "signals":
            items = value
        else:
            problem(key_node, key_node.value, "unknown top-level field (only `signals`)")
    if items is None or not isinstance(items, yaml.SequenceNode):
        problem(items if items is not None else root, "signals", "must be a list of signals")
        raise SpecError(problems)
    specs = [_signal(node, f"signals[{i}]", problem) for i, node in enumerate(items.value)]
    found = [spec for spec in specs if spec is not None]
    _unique(found, "key", problem, items)
    _unique(found, "name", problem, items)
    if problems:
        raise SpecError(problems)
    return found


def _pairs(
    node: yaml.MappingNode, where: str, problem: Report
) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    pairs, seen = [], set()
    for key_node, value in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problem(key_node, where, "field names must be plain text")
            continue
        if key_node.value in seen:
            problem(key_node, f"{where}.{key_node.value}", "appears twice")
            continue
        seen.add(key_node.value)
        pairs.append((key_node, value))
    return pairs


def _text(node: yaml.Node, where: str, problem: Report, *, optional: bool) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        if not optional:
            problem(node, where, "is required")
        return None
    if not isinstance(node, yaml.ScalarNode):
        problem(node, where, "must be text, not a list or mapping")
        return None
    if node.tag != "tag:yaml.org,2002:str":
        kind = node.tag.rpartition(":")[2]
        problem(node, where, f"{node.value!r} reads as a YAML {kind}: quote it to make it text")
        return None
    return node.value


def _signal(node: yaml.Node, where: str, problem: Report) -> SignalSpec | None:
    if not isinstance(node, yaml.MappingNode):
        problem(node, where, f"must be a mapping of {', '.join(FIELDS)}")
        return None
    values: dict[str, str | None] = {}
    nodes: dict[str, yaml.Node] = {}
    for key_node, value in _pairs(node, where, problem):
        field = key_node.value
        if field not in FIELDS:
            problem(key_node, f"{where}.{field}", f"unknown field (allowed: {', '.join(FIELDS)})")
            continue
        nodes[field] = value
        optional = field in ("description", "schedule")
        values[field] = _text(value, f"{where}.{field}", problem, optional=optional)
    for required in ("key", "name"):
        if required not in nodes:
            problem(node, f"{where}.{required}", "is required")
    key, name = values.get("key"), values.get("name")
    if key is not None and not KEY_PATTERN.match(key):
        problem(nodes["key"], f"{where}.key", f"{key!r}: use lowercase letters, digits, - _ .")
    if name is not None and not name.strip():
        problem(nodes["name"], f"{where}.name", "must not be empty")
    status = values.get("status") or "active"
    if status not in STATUSES:
        problem(nodes["status"], f"{where}.status", f"{status!r}: must be active or paused")
    schedule = values.get("schedule")
    if schedule is not None and schedule.strip().lower() in ("", "none"):
        schedule = None
    if schedule is not None and not _valid_cron(schedule):
        problem(
            nodes["schedule"],
            f"{where}.schedule",
            f"{schedule!r} is not a five-field cron expression (e.g. 0 8 * * 1-5), or null",
        )
    if key is None or name is None:
        return None
    return SignalSpec(
        key=key,
        name=name,
        description=values.get("description"),
        status=status,
        schedule=" ".join(schedule.split()) if schedule else None,
        line=node.start_mark.line + 1,
    )


def _valid_cron(expression: str) -> bool:
    # Imported here: only a signals file with a schedule needs it, and this module is on the
    # definitions' import path (the drift check), which every run worker and sensor tick loads.
    from croniter import croniter

    return len(expression.split()) == 5 and croniter.is_valid(expression)


def _unique(specs: list[SignalSpec], field: str, problem: Report, items: yaml.SequenceNode) -> None:
    first: dict[str, SignalSpec] = {}
    for spec in specs:
        value = getattr(spec, field)
        if value in first:
            problem_line = next(n for n in items.value if n.start_mark.line + 1 == spec.line)
            problem(
                problem_line,
                f"{field} {value!r}",
                f"declared twice (first at line {first[value].line})",
            )
        else:
            first[value] = spec
