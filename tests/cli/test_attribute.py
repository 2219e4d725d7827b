"""`socialroi attribute` on plain files."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialroi.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "attribute"
TOUCHPOINTS = FIXTURES / "touchpoints.csv"
CONVERSIONS = FIXTURES / "conversions.csv"


def run(*args: str | Path, touchpoints: Path = TOUCHPOINTS, conversions: Path = CONVERSIONS):
    """The command on files; CSV out unless the test asks for a format (the default is a table)."""
    argv = ["attribute", "--touchpoints", str(touchpoints), "--conversions", str(conversions)]
    fmt = [] if "--format" in args else ["--format", "csv"]
    return CliRunner().invoke(main, [*argv, *map(str, args), *fmt])


def test_linear_csv():
    # c1 converts Mar 10 (900) after linkedin, email, direct: 1/3 each, 300 each
    # c2 converts Mar 3 (300) after x alone; c3 (100) has no touch -> (unattributed)
    result = run("--model", "linear", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "channel,conversions,value\n"
        "(unattributed),1.0,100.0\n"
        "x,1.0,300.0\n"
        "direct,0.333333,300.0\n"
        "email,0.333333,300.0\n"
        "linkedin,0.333333,300.0\n"
    )


def test_json_by_employee():
    # w_shaped without milestones: first .3 + middle .1 -> c1: linkedin (e1) .75, email and
    # direct (no employee) .125 each; c2: x (e2) 1; c3 unattributed
    result = run("--model", "w_shaped", "--by", "employee_id", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"employee_id": "(unattributed)", "conversions": 1.0, "value": 100.0},
        {"employee_id": "e2", "conversions": 1.0, "value": 300.0},
        {"employee_id": "e1", "conversions": 0.75, "value": 675.0},
        {"employee_id": None, "conversions": 0.25, "value": 225.0},
    ]


def test_lookback_option():
    # a 1-day window: c1's touches (Mar 1, 5, 8) are all more than a day before Mar 10,
    # c2's x touch (Mar 2 12:00) is within a day of Mar 3
    result = run("--model", "first_touch", "--lookback-days", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["(unattributed),2.0,1000.0", "x,1.0,300.0"]


def test_bad_timestamp_names_file_row_and_column():
    bad = FIXTURES / "touchpoints_bad_ts.csv"
    result = run("--model", "linear", touchpoints=bad)
    assert result.exit_code == 1
    # 2025-02-30 is on the fourth line of the file (the header is row 1)
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}, row 4, column 'ts': not a date-time: '2025-02-30'; use ISO 8601, "
        "e.g. 2024-03-05T14:22:00Z, 2024-03-05 14:22"
    ]
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("contact_id,ts\nc1,2025-03-01\n", "column 'channel': missing required column"),
        ("contact_id,ts,channel\nc1,2025-03-01,x\n,2025-03-02,x\n", "row 3, column 'contact_id'"),
    ],
)
def test_bad_touchpoints_file(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_text(content)
    result = run(touchpoints=path)
    assert result.exit_code == 1
    assert message in result.stderr
    assert str(path) in result.stderr


def test_bad_value_in_conversions(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("contact_id,ts,value\nc1,2025-03-10,twelve\n")
    result = run(conversions=path)
    assert result.exit_code == 1
    assert f"{path}, row 2, column 'value':" in result.stderr
    assert "twelve" in result.stderr


def test_files_are_read_as_import_reads_them(tmp_path):
    # what `socialroi import` reads: thousands separators, a currency sign, slashed ISO dates,
    # a semicolon delimiter with a title line above the header, --map for other names, and
    # channel names through the vocabulary (LinkedIn as HubSpot writes it is linkedin)
    t, c = tmp_path / "t.csv", tmp_path / "c.csv"
    t.write_text("Touches export\nperson;when;source\nc1;2024/03/01;LinkedIn\nc2;2024/03/02;x\n")
    c.write_text('contact_id,ts,value\nc1,2024/03/05,"1,200"\nc2,2024-03-03,$1200\n')
    maps = ["--map", "person=contact_id", "--map", "when=ts", "--map", "source=channel"]
    result = run("--model", "first_touch", *maps, touchpoints=t, conversions=c)
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()[1:]) == ["linkedin,1.0,1200.0", "x,1.0,1200.0"]


def test_default_format_is_a_table():
    argv = ["attribute", "--touchpoints", str(TOUCHPOINTS), "--conversions", str(CONVERSIONS)]
    out = CliRunner().invoke(main, [*argv, "--model", "linear"]).stdout.splitlines()
    assert out[0].split() == ["channel", "conversions", "value"]
    assert set(out[1]) <= {"-", " "}


def test_unknown_model_is_a_usage_error():
    result = run("--model", "crystal_ball")
    assert result.exit_code == 2
    assert "crystal_ball" in result.stderr


def test_unknown_group_column():
    result = run("--by", "region")
    assert result.exit_code == 1
    assert "column 'region'" in result.stderr


def test_milestones_and_ids_from_the_file(tmp_path):
    conv = tmp_path / "c.csv"
    conv.write_text(
        "conversion_id,contact_id,ts,value,lead_created_at,deal_created_at\n"
        "deal-1,c1,2025-03-10T00:00:00Z,1000,2025-03-04,2025-03-06T00:00:00+00:00\n"
    )
    # c1: linkedin Mar 1 (first), email Mar 5 09:00 UTC (deal: last before Mar 6), direct Mar 8;
    # lead Mar 4 -> linkedin too. w_shaped: linkedin .3 + .3, email .3, direct .1
    result = run("--model", "w_shaped", conversions=conv)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "linkedin,0.6,600.0",
        "email,0.3,300.0",
        "direct,0.1,100.0",
    ]


def test_ties_in_time_are_broken_by_channel_whatever_the_row_order(tmp_path):
    # Two touches of c1 at the same instant: first touch goes to the one whose channel sorts
    # first ("linkedin" < "x"), as the store and the SQL engines order them.
    conv = tmp_path / "c.csv"
    conv.write_text("contact_id,ts,value\nc1,2024-03-10,100\n", encoding="utf-8")
    got = []
    for rows in (
        "c1,2024-03-01,x\nc1,2024-03-01,linkedin\n",
        "c1,2024-03-01,linkedin\nc1,2024-03-01,x\n",
    ):
        t = tmp_path / "t.csv"
        t.write_text("contact_id,ts,channel\n" + rows, encoding="utf-8")
        res = CliRunner().invoke(
            main,
            [
                "attribute",
                "--touchpoints",
                str(t),
                "--conversions",
                str(conv),
                "--model",
                "first_touch",
                "--format",
                "csv",
            ],
        )
        assert res.exit_code == 0, res.output
        got.append(res.stdout)
    assert got[0] == got[1]
    assert "linkedin,1.0,100.0" in got[0]


@pytest.mark.parametrize("model", ["linear", "first_touch", "markov"])
def test_duckdb_engine_gives_the_in_memory_numbers(model: str) -> None:
    memory = run("--model", model)
    duck = run("--model", model, "--engine", "duckdb")
    assert memory.exit_code == 0, memory.output
    assert duck.exit_code == 0, duck.output
    rows = [sorted(r.stdout.splitlines()[1:]) for r in (memory, duck)]
    got = [
        {line.split(",")[0]: [float(x) for x in line.split(",")[1:]] for line in r} for r in rows
    ]
    assert got[0].keys() == got[1].keys()
    for channel, values in got[0].items():
        assert values == pytest.approx(got[1][channel], abs=1e-9)


def test_sql_prints_the_warehouse_sql_and_reads_no_data() -> None:
    result = CliRunner().invoke(main, ["attribute", "--model", "linear", "--sql", "bigquery"])
    assert result.exit_code == 0, result.output
    assert "UNIX_MICROS(ts)" in result.stdout  # BigQuery's spelling
    assert "sr_input_touches" in result.stdout
    snowflake = CliRunner().invoke(main, ["attribute", "--model", "linear", "--sql", "snowflake"])
    assert "DATE_PART(EPOCH_MICROSECOND" in snowflake.stdout


def test_engine_needs_both_sources() -> None:
    result = CliRunner().invoke(main, ["attribute", "--engine", "duckdb", "--model", "linear"])
    assert result.exit_code == 2
    assert "--engine needs --touchpoints and --conversions" in result.stderr
