"""Kinds of member text that are screened, with the words the queue uses for them."""

_labels: dict[str, str] = {}


def register(source_type: str, label: str) -> None:
    _labels[source_type] = label


def label(source_type: str) -> str:
    return _labels.get(source_type, source_type.replace("_", " ").capitalize())
