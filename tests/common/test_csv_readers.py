"""The two CSV readers of read_table (pyarrow's and pandas') give the same table, cell for cell.

A large plain UTF-8 file is parsed by pyarrow; every other file, and every file pyarrow
cannot parse exactly as pandas does, by pandas. These tests read each file both ways (the
size threshold moved) and compare the frames, or the errors.
"""

import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.common import io as tableio
from planner.common.errors import InputError

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_both(path, monkeypatch, lazy=None):
    """Read ``path`` with pandas and with pyarrow (when it takes the file); return both."""
    results = []
    for threshold in (1 << 62, 0):
        monkeypatch.setattr(tableio, "ARROW_BYTES", threshold)
        try:
            results.append(tableio.read_table(path, lazy=lazy))
        except InputError as exc:
            results.append(str(exc))
    return results


def assert_same(by_pandas, by_arrow, lazy=()):
    if isinstance(by_pandas, str) or isinstance(by_arrow, str):
        assert by_pandas == by_arrow
        return
    assert list(by_pandas.columns) == list(by_arrow.columns)
    assert len(by_pandas) == len(by_arrow)
    for name in by_pandas.columns:
        assert by_pandas[name].dtype == object
        if name not in lazy:
            assert by_arrow[name].dtype == object, name
        left = by_pandas[name].to_numpy(dtype=object)
        right = by_arrow[name].to_numpy(dtype=object)
        assert all(type(v) is str for v in right), name
        assert (left == right).all(), (name, left, right)


def took_arrow(path, monkeypatch):
    monkeypatch.setattr(tableio, "ARROW_BYTES", 0)
    return tableio._read_csv_arrow(path.read_bytes(), None) is not None


PLAIN = "统一社会信用代码,企业名称,所属区域,风险等级\n" + "".join(
    f"91440300MA5F{i:06d},企业{i % 7},区{i % 3},{'ABCD'[i % 4]}\n" for i in range(5000))


def test_a_plain_directory_is_read_by_arrow_with_the_same_cells(tmp_path, monkeypatch):
    path = tmp_path / "enterprises.csv"
    path.write_text(PLAIN, encoding="utf-8")
    assert took_arrow(path, monkeypatch)
    by_pandas, by_arrow = read_both(path, monkeypatch)
    assert_same(by_pandas, by_arrow)
    assert by_arrow["风险等级"].tolist()[:5] == ["A", "B", "C", "D", "A"]


def test_repeated_values_share_one_object_and_lazy_columns_stay_in_arrow(tmp_path, monkeypatch):
    path = tmp_path / "enterprises.csv"
    path.write_text(PLAIN, encoding="utf-8")
    by_pandas, by_arrow = read_both(path, monkeypatch, lazy=lambda name: name == "企业名称")
    assert_same(by_pandas, by_arrow, lazy=("企业名称",))
    grades = by_arrow["风险等级"].to_numpy()
    assert grades[0] is grades[4]  # built from the distinct values
    assert by_arrow["企业名称"].dtype != object or pd.__version__ < "3"
    assert by_arrow["企业名称"].iloc[8] == "企业1"


@pytest.mark.parametrize("text", [
    "a,b\r\n1,2\r\n3,4\r\n",  # Windows line ends
    'a,b\n"x, y","say ""hi"""\n',  # quoted delimiter and doubled quotes
    'a,b\n"line\nbreak",2\n',  # a newline inside a quoted cell
    "a,b\n1,2\n\n3,4\n",  # a blank line
    "a,b\n1, 2\n",  # a space after the delimiter (pandas skips it)
    "a,b\n1 ,2\n",  # a space before the delimiter (pandas strips it)
    "a,b\n1,\u30002\n",  # an ideographic space
    "a,b\n1,\xa02\n",  # a no-break space
    "a,b\n1,2\t\n",  # a tab
    " a,b\n1,2\n",  # the header starts with a space
    "a,a\n1,2\n",  # a repeated header name
    "a,,b\n1,2,3\n",  # an empty header name
    "a,b\n1,2,3\n",  # a record with too many fields
    "a,b,c\n1,2\n",  # a record with too few fields
    "a,b\n1,2",  # no final line end
    "a,b\n",  # a header only
    '"a",b\n1,2\n',  # a quoted header
    "\ufeffa,b\n1,2\n",  # a byte-order mark
    "a,b\n1,2\x1f\n",  # a control character Python counts as white space
    'a,b\nx"y,2\n',  # a quote inside an unquoted cell
    'a,b\n"x"y,2\n',  # text after a closing quote
    "a,b\n007,0.50\n",  # numbers stay text
    "a,b\nNA,null\n",  # words pandas or Arrow could take for missing values
])
def test_awkward_files_read_alike(tmp_path, monkeypatch, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    by_pandas, by_arrow = read_both(path, monkeypatch)
    assert_same(by_pandas, by_arrow)


def test_quoted_cells_with_line_breaks_are_read_by_arrow(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"line\nbreak","x,y"\n"say:""hi""",2\n', encoding="utf-8")
    assert took_arrow(path, monkeypatch)
    by_pandas, by_arrow = read_both(path, monkeypatch)
    assert_same(by_pandas, by_arrow)
    assert by_arrow["a"].tolist() == ["line\nbreak", 'say:"hi"']


def test_a_gbk_file_is_left_to_pandas(tmp_path, monkeypatch):
    path = tmp_path / "gbk.csv"
    path.write_bytes("企业名称,风险等级\n罗湖区永和餐饮,A\n".encode("gbk"))
    assert not took_arrow(path, monkeypatch)
    by_pandas, by_arrow = read_both(path, monkeypatch)
    assert_same(by_pandas, by_arrow)
    assert by_arrow["企业名称"].tolist() == ["罗湖区永和餐饮"]


# Without white space most generated tables are plain enough for Arrow to take; with it,
# most go to pandas (the awkward files above cover white space cell by cell).
plain = string.ascii_letters + string.digits + ',"\n\r.-' + "统一社会信用代码企业名称，。、"
tables = st.sampled_from([plain, plain + " \t\u3000\xa0\x1f"]).flatmap(
    lambda alphabet: st.lists(st.lists(st.text(alphabet=alphabet, max_size=12), min_size=3,
                                       max_size=3), max_size=15))


@FUZZ
@given(tables, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_any_table_reads_alike(tmp_path, monkeypatch, rows, line_end, quote_all):
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=line_end,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    buf.write(f"id,name,grade{line_end}")  # a plain header, so that Arrow may take the file
    writer.writerows(rows)
    path = tmp_path / "t.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    by_pandas, by_arrow = read_both(path, monkeypatch)
    assert_same(by_pandas, by_arrow)


def test_large_generated_directory_reads_alike(tmp_path, monkeypatch):
    from planner.demo.generate import write_demo

    write_demo(preset="city", seed="readers", out=tmp_path)
    path = tmp_path / "enterprises.csv"
    assert path.stat().st_size >= tableio.ARROW_BYTES or took_arrow(path, monkeypatch)
    by_pandas, by_arrow = read_both(path, monkeypatch)
    assert_same(by_pandas, by_arrow)
    assert len(by_arrow) == 43_000 and np.all(by_arrow.iloc[:, 0].str.len() == 18)
