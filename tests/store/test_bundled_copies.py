"""The bundled decks are reviewed and edited as copies in the data dir, never inside the
installed package, and a newer mlcards brings its new cards without touching edited ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import at, card_yaml, deck_yaml, write

from mlcards.bundled import bundled_deck_files
from mlcards.services import decks as service
from mlcards.services.admin import check
from mlcards.store import Store


def bundle(folder: Path, decks: dict[str, tuple[str, ...]], answer: str = "a") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for deck_id, cards in decks.items():
        write(folder / f"{deck_id}.yaml", deck_yaml(deck_id, cards, answer=answer))
    return folder


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the decks inside the installed package."""
    folder = bundle(tmp_path / "site-packages" / "decks", {"alpha": ("a1", "a2"), "beta": ("b1",)})

    def files() -> list[Path]:
        return sorted(folder.glob("*.yaml"))

    monkeypatch.setattr(service, "bundled_deck_files", files)
    monkeypatch.setattr(service, "bundled_decks_dir", lambda: folder)
    return folder


def check_clean(store: Store) -> None:
    found = check(store)
    assert found.ok, found.to_dict()


def test_the_real_bundle_is_copied_and_imported_from_the_copies(
    db_path: Path, isolated_home: Path
) -> None:
    copies = isolated_home / "decks"
    with Store.open(db_path) as store:
        decks = service.import_bundled(store, at("2026-03-01"), copies)
        paths = store.decks.paths()
    assert [d.id for d in decks][0] == "batchnorm"
    assert sorted(p.name for p in copies.glob("*.yaml")) == sorted(
        p.name for p in bundled_deck_files()
    )
    for deck in decks:
        assert Path(paths[deck.id]).parent == copies.resolve()  # `e` edits the copy
    assert (copies / service.MANIFEST).is_file()


def test_a_newer_bundle_replaces_unedited_copies_and_extends_edited_ones(
    db_path: Path, isolated_home: Path, shipped: Path
) -> None:
    copies = isolated_home / "decks"
    store = Store.open(db_path)
    service.import_bundled(store, at("2026-03-01"), copies)
    edited = copies / "beta.yaml"
    mine = edited.read_text(encoding="utf-8").replace("Question b1?", "My own wording of b1?")
    edited.write_text(mine, encoding="utf-8")
    # a newer mlcards: alpha gains a3, beta gains b2 and b3
    bundle(shipped, {"alpha": ("a1", "a2", "a3"), "beta": ("b1", "b2", "b3")})
    assert service.update_bundled(store, at("2026-03-02"), copies) == []
    alpha = (copies / "alpha.yaml").read_text(encoding="utf-8")
    assert alpha == (shipped / "alpha.yaml").read_text(encoding="utf-8")  # unedited: replaced
    beta = edited.read_text(encoding="utf-8")
    assert "My own wording of b1?" in beta and "id: b2" in beta and "id: b3" in beta
    cards = {(d, c) for d, c in store.cards.states()}
    assert {("alpha", "a3"), ("beta", "b2"), ("beta", "b3")} <= cards
    check_clean(store)
    # nothing new: nothing is rewritten or re-imported
    before = beta
    assert service.update_bundled(store, at("2026-03-03"), copies) == []
    assert edited.read_text(encoding="utf-8") == before
    store.close()


def test_a_card_the_learner_deleted_stays_deleted(
    db_path: Path, isolated_home: Path, shipped: Path
) -> None:
    copies = isolated_home / "decks"
    store = Store.open(db_path)
    service.import_bundled(store, at("2026-03-01"), copies)
    alpha = copies / "alpha.yaml"
    alpha.write_text(deck_yaml("alpha", ("a1",)), encoding="utf-8")  # a2 removed by hand
    write(shipped / "alpha.yaml", deck_yaml("alpha", ("a1", "a2")) + card_yaml("a9"))
    service.update_bundled(store, at("2026-03-02"), copies)
    text = alpha.read_text(encoding="utf-8")
    assert "id: a9" in text and "id: a2" not in text
    store.close()


def test_decks_imported_from_inside_the_package_move_to_their_copies(
    db_path: Path, isolated_home: Path, shipped: Path
) -> None:
    """A database from before the copies: its bundled decks' source is the package itself."""
    from mlcards.deck import load_deck

    store = Store.open(db_path)
    store.decks.import_decks([load_deck(shipped / "alpha.yaml")], at("2026-03-01"))
    copies = isolated_home / "decks"
    service.update_bundled(store, at("2026-03-02"), copies)
    assert Path(store.decks.paths()["alpha"]) == (copies / "alpha.yaml").resolve()
    assert "beta" not in store.decks.paths()  # a deck the learner never had is not added
    store.close()


def test_a_broken_copy_blocks_neither_start_up_nor_the_other_decks_new_cards(
    db_path: Path, isolated_home: Path, shipped: Path
) -> None:
    """The learner breaks one copy while a newer mlcards adds a card to another: the review
    still starts, the other deck gets its card, and the broken one is tried again later."""
    copies = isolated_home / "decks"
    store = Store.open(db_path)
    service.import_bundled(store, at("2026-03-01"), copies)
    good = (copies / "beta.yaml").read_text(encoding="utf-8")
    (copies / "beta.yaml").write_text(good + "  - id: oops\n    question: [\n", encoding="utf-8")
    bundle(shipped, {"alpha": ("a1", "a2", "a3"), "beta": ("b1", "b2")})
    warnings = service.update_bundled(store, at("2026-03-02"), copies)
    assert any("beta.yaml" in w for w in warnings)
    assert ("alpha", "a3") in store.cards.states()
    (copies / "beta.yaml").write_text(good, encoding="utf-8")  # the learner mends it
    assert service.update_bundled(store, at("2026-03-03"), copies) == []
    assert ("beta", "b2") in store.cards.states()
    check_clean(store)
    store.close()


def test_an_unchanged_bundle_is_not_read_again(
    db_path: Path, isolated_home: Path, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every review start asks whether the shipped decks changed: known by their stamps
    (version, size, mtime), they are not read or hashed; a manifest from before stamps
    were kept is stamped at the first start, and a changed file is read again."""
    copies = isolated_home / "decks"
    with Store.open(db_path) as store:
        service.import_bundled(store, at("2026-03-01"), copies)
        read: list[str] = []
        original = Path.read_text

        def counted(path: Path, *args: object, **kwargs: object) -> str:
            if path.parent == shipped:
                read.append(path.name)
            return original(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "read_text", counted)
        assert service.update_bundled(store, at("2026-03-02"), copies) == []
        assert read == []
        manifest = copies / service.MANIFEST
        unstamped = manifest.read_text().replace('"stamp"', '"was_stamp"')
        manifest.write_text(unstamped)  # as an older mlcards left it
        service.update_bundled(store, at("2026-03-02"), copies)
        assert sorted(read) == ["alpha.yaml", "beta.yaml"]
        read.clear()
        service.update_bundled(store, at("2026-03-02"), copies)
        assert read == []  # stamped by the start before
        write(shipped / "beta.yaml", deck_yaml("beta", ("b1", "b2")))
        service.update_bundled(store, at("2026-03-03"), copies)
        assert read == ["beta.yaml"]
        assert "b2" in (copies / "beta.yaml").read_text()
        check_clean(store)
