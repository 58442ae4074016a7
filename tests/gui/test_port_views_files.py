"""Port views of file-backed tables: a table whose rows stay in files (stored as its
recipe) opens at once, says so, and reads and decodes only the page on screen, while
the arrow and page keys go on across pages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtTest import QTest

import nodeflow.runtime.images as images
from nodeflow.core.workflow import Workflow
from nodeflow.gui.port_views import PAGE_ROWS, PortViewDialog, PortViewError, TableView, open_port_view
from nodeflow.runtime.file_table import FileTable, FileTableWriter
from nodeflow.runtime.images import ImageColumn
from nodeflow.runtime.storage import RECIPE_SUFFIX, node_folder, save_value

ROOT = Path(__file__).resolve().parents[2]
ROWS = 200_000
COLOURS = {"blue": (0, 0, 255), "red": (255, 0, 0)}  # class folder -> the colour of its images


@pytest.fixture
def workflow() -> Workflow:
    return Workflow()


def numbers_table(path: Path, rows: int = ROWS, block: int = 50_000) -> FileTable:
    """``rows`` rows written in blocks as a streaming reader does: id, name, score."""
    writer = FileTableWriter(path)
    for start in range(0, rows, block):
        ids = np.arange(start, min(start + block, rows), dtype=np.int64)
        writer.append({"id": ids, "name": np.array([f"row {i}" for i in ids]), "score": ids / 4})
    return writer.close()


def image_folder(root: Path, per_class: int = 3) -> None:
    """Class folders of 16x16 PNGs, one plain colour per class."""
    for label, colour in COLOURS.items():
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (16, 16), colour).save(root / label / f"{i}.png")


def image_table(root: Path, path: Path, rows: int = ROWS) -> FileTable:
    """Rows like the Image Folder Reader lists (hidden paths, image decoded on demand), the
    folder's files repeated to ``rows`` rows: first every blue file, then every red one."""
    files = sorted(f.relative_to(root).as_posix() for f in root.rglob("*.png"))
    relative = np.array([files[i * len(files) // rows] for i in range(rows)])
    labels = np.array([name.split("/")[0] for name in relative])
    column = ImageColumn(root=str(root), source="__source__:image", height=8, width=8, channels=3)
    writer = FileTableWriter(path, {"image": column})
    writer.append({"__source__:image": relative, "label": labels, "path": relative},
                  order=["image", "label", "path"])
    return writer.close()


def store(table: FileTable, run_dir: Path, node: str) -> None:
    stored = save_value("table", table, node_folder(run_dir, node), "table")
    assert stored.name.endswith(RECIPE_SUFFIX)  # the recipe, not a copy of the rows


def open_view(qtbot, workflow, run_dir, node) -> PortViewDialog:
    """The shown dialog; hold on to it: without a parent it owns (and deletes) its view."""
    dialog = open_port_view(None, workflow, run_dir, node, "table")
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    return dialog


@pytest.fixture
def rows_read(monkeypatch) -> list[int]:
    """Counts the rows any FileTable reads from its file; reading everything fails the test."""
    counted: list[int] = []
    chunks = FileTable.chunks

    def counting(self, *args, **kwargs):
        for block in chunks(self, *args, **kwargs):
            counted.append(len(next(iter(block.values()))) if block else 0)
            yield block

    def refuse(self, *args, **kwargs):
        raise AssertionError("the view loaded the whole table")

    monkeypatch.setattr(FileTable, "chunks", counting)
    monkeypatch.setattr(FileTable, "materialize", refuse)
    monkeypatch.setattr(FileTable, "column", refuse)
    return counted


@pytest.fixture
def decoded(monkeypatch) -> list[int]:
    """Counts the image files decoded for the view."""
    counted: list[int] = []
    decode = images.decode_with_pillow

    def counting(column, paths):
        counted.append(len(paths))
        return decode(column, paths)

    monkeypatch.setattr(images, "decode_with_pillow", counting)
    return counted


def click_cell(view: TableView, row: int, column: int) -> None:
    rect = view.view.visualRect(view.model().index(row, column))
    QTest.mouseClick(view.view.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())


def shown(view: TableView, column: str) -> list[str]:
    model = view.model()
    c = view.table.column_names.index(column)
    return [model.index(r, c).data() for r in range(model.rowCount())]


def press_until(qtbot, view: TableView, key, done, most: int = 2 * PAGE_ROWS) -> None:
    """Press ``key`` on the focused table until ``done()``, as a user holding it would."""
    for _ in range(most):
        if done():
            return
        QTest.keyClick(view.view, key)
    assert done()


# ---------------------------------------------------------------------------- numbers
def test_a_200000_row_file_backed_table_opens_reading_only_the_page_shown(qtbot, workflow, tmp_path,
                                                                            rows_read):
    node = workflow.add_node("data.CsvReader").id
    store(numbers_table(tmp_path / "rows.arrow"), tmp_path, node)
    rows_read.clear()  # writing checked nothing; from here on only the view reads

    dialog = open_view(qtbot, workflow, tmp_path, node)
    view = dialog.view
    model = view.model()
    assert view.source_label.isVisible()
    assert view.source_label.text() == "200,000 rows read from files, page by page"
    assert (view.page, view.page_count) == (0, ROWS // PAGE_ROWS)
    assert view.rows_label.text() == "rows 1–100 of 200,000"
    headers = [model.headerData(c, Qt.Horizontal, Qt.DisplayRole) for c in range(model.columnCount())]
    assert headers == ["id\nint64", "name\ntext", "score\nfloat64"]
    assert shown(view, "name")[:2] == ["row 0", "row 1"] and shown(view, "name")[-1] == "row 99"
    assert sum(rows_read) == PAGE_ROWS

    view.page_spin.setValue(view.page_count)  # the last page: rows from the last block of the file
    assert view.rows_label.text() == "rows 199,901–200,000 of 200,000"
    assert shown(view, "id")[-1] == "199999" and shown(view, "score")[0] == "49975"
    assert model.headerData(0, Qt.Vertical, Qt.DisplayRole) == "199900"
    assert sum(rows_read) == 2 * PAGE_ROWS


def test_page_down_past_a_page_shows_the_next_page_and_up_comes_back(qtbot, workflow, tmp_path, rows_read):
    node = workflow.add_node("data.CsvReader").id
    store(numbers_table(tmp_path / "rows.arrow"), tmp_path, node)
    dialog = open_view(qtbot, workflow, tmp_path, node)
    view = dialog.view
    model = view.model()
    name = view.table.column_names.index("name")
    click_cell(view, 0, name)
    qtbot.waitUntil(view.view.hasFocus, timeout=5000)
    rows_read.clear()

    press_until(qtbot, view, Qt.Key_PageDown, lambda: view.page == 1)
    assert view.view.currentIndex().row() == 0 and view.view.currentIndex().column() == name
    assert view.view.currentIndex().data() == "row 100"
    assert view.rows_label.text() == "rows 101–200 of 200,000" and view.page_spin.value() == 2
    assert sum(rows_read) == PAGE_ROWS  # only the new page was read

    QTest.keyClick(view.view, Qt.Key_Up)  # on the first row: back to the previous page's last row
    assert view.page == 0 and view.view.currentIndex().row() == PAGE_ROWS - 1
    assert view.view.currentIndex().data() == "row 99"
    assert sum(rows_read) == PAGE_ROWS  # the page was kept: not read again
    QTest.keyClick(view.view, Qt.Key_Down)
    assert view.page == 1 and model.index(0, name).data() == "row 100"


def test_a_filtered_file_backed_table_shows_the_selected_rows(qtbot, workflow, tmp_path, rows_read):
    node = workflow.add_node("data.RowFilter").id
    every_third = numbers_table(tmp_path / "rows.arrow").take(np.arange(0, ROWS, 3))
    store(every_third, tmp_path, node)
    dialog = open_view(qtbot, workflow, tmp_path, node)
    view = dialog.view
    assert view.source_label.text() == "66,667 rows read from files, page by page"
    view.next_button.click()
    assert view.model().headerData(0, Qt.Vertical, Qt.DisplayRole) == "100"  # counted in the selection
    assert shown(view, "id")[:3] == ["300", "303", "306"]
    assert sum(rows_read) == 2 * PAGE_ROWS


def test_a_changed_source_file_asks_to_re_execute(workflow, tmp_path):
    node = workflow.add_node("data.CsvReader").id
    table = numbers_table(tmp_path / "rows.arrow", rows=500, block=500)
    store(table, tmp_path, node)
    stat = os.stat(table.path)
    os.utime(table.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(PortViewError, match=r"cannot read the stored output on port table .*changed.*"
                                            r"re-execute the node"):
        open_port_view(None, workflow, tmp_path, node, "table")


def test_a_page_whose_file_went_away_says_so_instead_of_failing(qtbot, workflow, tmp_path):
    node = workflow.add_node("data.CsvReader").id
    table = numbers_table(tmp_path / "rows.arrow", rows=500, block=500)
    store(table, tmp_path, node)
    dialog = open_view(qtbot, workflow, tmp_path, node)
    view = dialog.view
    table.path.unlink()
    view.next_button.click()
    assert view.page == 1 and view.model().rowCount() == 0
    assert view.rows_label.text().startswith("cannot read rows of page 2")
    view.prev_button.click()  # the page read before is still there
    assert view.model().rowCount() == PAGE_ROWS and view.rows_label.text() == "rows 1–100 of 500"


# ---------------------------------------------------------------------------- images
def colour_at_centre(pixmap: QPixmap) -> tuple[int, int, int]:
    image = pixmap.toImage()
    colour = QColor(image.pixel(image.width() // 2, image.height() // 2))
    return colour.red(), colour.green(), colour.blue()


def test_image_rows_show_thumbnails_decoding_only_the_page(qtbot, workflow, tmp_path, rows_read, decoded):
    image_folder(tmp_path / "photos")
    node = workflow.add_node("data.ImageFolderReader").id
    store(image_table(tmp_path / "photos", tmp_path / "rows.arrow"), tmp_path, node)
    dialog = open_view(qtbot, workflow, tmp_path, node)
    view = dialog.view
    model = view.model()
    assert model.headerData(0, Qt.Horizontal, Qt.DisplayRole) == "image\nuint8 8×8×3"
    assert "decoded from image files" in model.headerData(0, Qt.Horizontal, Qt.ToolTipRole)
    assert model.image_columns == [True, False, False]
    assert view.source_label.text() == "200,000 rows read from files, page by page"
    assert sum(decoded) == PAGE_ROWS and sum(rows_read) == PAGE_ROWS

    pixmap = model.index(0, 0).data(Qt.DecorationRole)
    assert isinstance(pixmap, QPixmap) and not pixmap.isNull()
    assert colour_at_centre(pixmap) == COLOURS["blue"] and shown(view, "label")[0] == "blue"

    view.page_spin.setValue(view.page_count)  # the last rows are the red class
    assert colour_at_centre(model.index(PAGE_ROWS - 1, 0).data(Qt.DecorationRole)) == COLOURS["red"]
    assert shown(view, "label")[-1] == "red" and shown(view, "path")[-1] == "red/2.png"
    assert sum(decoded) == 2 * PAGE_ROWS


def test_opening_an_image_view_never_imports_tensorflow(tmp_path):
    """In a fresh process: other tests may have imported TensorFlow into this one."""
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication
        from test_port_views_files import image_folder, image_table, store
        from nodeflow.core.workflow import Workflow
        from nodeflow.gui.port_views import open_port_view

        app = QApplication([])
        tmp = Path(sys.argv[1])
        image_folder(tmp / "photos")
        workflow = Workflow()
        node = workflow.add_node("data.ImageFolderReader").id
        store(image_table(tmp / "photos", tmp / "rows.arrow", rows=300), tmp, node)
        dialog = open_port_view(None, workflow, tmp, node, "table")
        app.processEvents()
        assert not dialog.view.model().index(0, 0).data(Qt.DecorationRole).isNull()
        dialog.view.next_button.click()
        app.processEvents()
        print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))))
    """)
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# ---------------------------------------------------------------------------- column pickers
def test_column_pickers_offer_the_columns_of_a_file_backed_upstream_table(window, tmp_path):
    """The editor learns the columns from the stored recipe: the image column, not its hidden paths."""
    from nodeflow.core.fileformat import save
    from nodeflow.runtime.engine import default_run_dir

    image_folder(tmp_path / "photos")
    workflow = Workflow()
    reader = workflow.add_node("data.ImageFolderReader").id
    row_filter = workflow.add_node("data.RowFilter").id
    workflow.connect(reader, "table", row_filter, "table")
    path = tmp_path / "images.nflow"
    save(workflow, path)
    store(image_table(tmp_path / "photos", tmp_path / "rows.arrow", rows=10), default_run_dir(path), reader)
    assert window.open_file(path)
    assert window.session.upstream_columns(row_filter) == ["image", "label", "path"]
