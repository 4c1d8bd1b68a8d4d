"""One reader's conversation as plain JSON: what the browser keeps across reloads and what the page renders.

A conversation is {"turns": [turn, ...]}; a turn is {"turn": n, "question": str, "answer": Answer.to_dict() or
None, "error": str or None, "error_kind": the error's class name (optional), "state": "done" | "pending" |
"stopped", "extras": {...}}. Past chats are {"chats": [{"id": str, "turns": [turn, ...]}, ...]}, newest first:
New chat files the current conversation there, and opening one brings it back. The page renders the
chat and the sources panel from it, never from the chat component's own (possibly half-streamed) value, so a
second question asked while an answer streams cannot cut the first one off. The browser stores only data:
everything is escaped again when it is rendered, and a stored value that does not fit this shape is dropped.
"""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

from rag import Answer, Citation, Context

MAX_TURNS = 30  # turns kept (in the page and in the browser's storage)
HISTORY_TURNS = 6  # earlier turns passed to the assistant for follow-ups
MAX_CHATS = 20  # past chats kept in the browser's storage (each up to MAX_TURNS turns)

Turn = dict
Conversation = dict


def empty() -> Conversation:
    return {"turns": []}


def turns_of(conversation: Conversation | None) -> list[Turn]:
    """The well-formed turns of a stored conversation (anything else is dropped, not trusted)."""
    if not isinstance(conversation, dict) or not isinstance(conversation.get("turns"), list):
        return []
    return [t for t in conversation["turns"] if _well_formed(t)][-MAX_TURNS:]


def with_turn(conversation: Conversation | None, turn: Turn) -> Conversation:
    """The conversation with `turn` added, or replacing the turn of the same number."""
    kept = [t for t in turns_of(conversation) if t["turn"] != turn["turn"]]
    return {"turns": (kept + [turn])[-MAX_TURNS:]}


def next_number(conversation: Conversation | None) -> int:
    turns = turns_of(conversation)
    return turns[-1]["turn"] + 1 if turns else 1


def pending_turn(number: int, question: str) -> Turn:
    return {"turn": number, "question": question, "answer": None, "error": None, "state": "pending", "extras": {}}


def answered_turn(number: int, question: str, answer: Answer, extras: dict) -> Turn:
    return {"turn": number, "question": question, "answer": public_answer(answer.to_dict()), "error": None,
            "state": "done", "extras": extras}


def failed_turn(number: int, question: str, error: str, kind: str | None = None) -> Turn:
    """A turn the core refused; `kind` (the error's class name) lets the page translate the message."""
    return {"turn": number, "question": question, "answer": None, "error": error, "error_kind": kind,
            "state": "done", "extras": {}}


def without_last(conversation: Conversation | None) -> tuple[Conversation, Turn | None]:
    """(the conversation without its last turn, that turn): what Regenerate and Edit ask again."""
    turns = turns_of(conversation)
    return {"turns": turns[:-1]}, (turns[-1] if turns else None)


# ------------------------------------------------------------------ past chats


def chats_of(past: dict | None) -> list[dict]:
    """The well-formed past chats, newest first (anything else is dropped, not trusted)."""
    if not isinstance(past, dict) or not isinstance(past.get("chats"), list):
        return []
    chats = [{"id": c["id"], "turns": turns_of(c)} for c in past["chats"]
             if isinstance(c, dict) and isinstance(c.get("id"), str)]
    return [c for c in chats if c["turns"]][:MAX_CHATS]


def filed(past: dict | None, conversation: Conversation | None) -> dict:
    """Past chats with `conversation` added as the newest (nothing is added for an empty one)."""
    chats = chats_of(past)
    turns = [t for t in turns_of(conversation) if t["state"] != "pending"]
    if turns:
        chats.insert(0, {"id": secrets.token_hex(6), "turns": turns})
    return {"chats": chats[:MAX_CHATS]}


def taken(past: dict | None, chat_id: str | None) -> tuple[Conversation | None, dict]:
    """(the past chat `chat_id` as a conversation, or None when there is none; the past chats without it)."""
    chats = chats_of(past)
    chosen = next((c for c in chats if c["id"] == chat_id), None)
    rest = [c for c in chats if c["id"] != chat_id]
    return ({"turns": chosen["turns"]} if chosen else None), {"chats": rest}


def chat_title(chat: dict) -> str:
    """A past chat's label: its first question."""
    turns = turns_of(chat)
    return turns[0]["question"] if turns else ""


def stopped(conversation: Conversation | None) -> Conversation:
    """The conversation after the reader pressed Stop: the turn in flight is marked, never left half-drawn."""
    turns = turns_of(conversation)
    if turns and turns[-1]["state"] == "pending":
        turns[-1] = {**turns[-1], "state": "stopped"}
    elif turns and turns[-1]["answer"] is not None:
        turns[-1] = {**turns[-1], "state": "stopped"}
    return {"turns": turns}


def history_pairs(conversation: Conversation | None) -> list[tuple[str, str]]:
    """(question, answer text) of the finished turns, for the assistant's follow-up resolution."""
    pairs = [(t["question"], t["answer"]["text"]) for t in turns_of(conversation) if t["answer"] is not None]
    return pairs[-HISTORY_TURNS:]


def answer_of(turn: Turn) -> Answer | None:
    """The stored answer as an `Answer` again (fields this version does not know are ignored)."""
    data = turn.get("answer")
    if data is None:
        return None
    kwargs = _known(Answer, data)
    kwargs["citations"] = tuple(Citation(**_known(Citation, c)) for c in data.get("citations") or [])
    kwargs["contexts"] = tuple(Context(**_known(Context, c)) for c in data.get("contexts") or [])
    kwargs["notes"] = tuple(data.get("notes") or ())
    return Answer(**kwargs)


def public_answer(answer: dict) -> dict:
    """The answer without server file paths: they are nobody's business, and gradio_client would try to
    download any {"path": ...} it sees."""
    for context in answer.get("contexts", []):
        path = context["metadata"].pop("path", None)
        if path:
            context["metadata"]["file"] = Path(path).name
    return answer


def _known(cls, data: dict) -> dict:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _well_formed(turn) -> bool:
    if not isinstance(turn, dict) or not isinstance(turn.get("turn"), int) or not isinstance(turn.get("question"),
                                                                                              str):
        return False
    if turn.get("state") not in ("done", "pending", "stopped") or not isinstance(turn.get("extras"), dict):
        return False
    if turn.get("error") is not None and not isinstance(turn["error"], str):
        return False
    if turn.get("error_kind") is not None and not isinstance(turn["error_kind"], str):
        return False
    try:
        answer_of(turn)
    except (TypeError, ValueError, AttributeError):
        return False
    return True
