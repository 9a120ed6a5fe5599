"""One .bicepparam file per boundary, checked by a small reader (the tree-sitter grammar does not know
.bicepparam): the using target exists, every param set is declared there, every required one is set,
and secrets come from the deploying shell's environment, never from the file."""

import pytest

from tests.infra import bicep

BOUNDARIES = {"commercial": "AzureCloud", "gcc-high": "AzureUSGovernment", "il5": "AzureUSGovernment"}


def test_there_is_one_param_file_per_boundary():
    assert {p.stem for p in bicep.param_files()} == set(BOUNDARIES)


@pytest.mark.parametrize("path", bicep.param_files(), ids=lambda p: p.name)
def test_a_param_file_matches_its_template(path):
    assert bicep.check_bicepparam(path) == []
    assert bicep.read_bicepparam(path).using == bicep.MAIN


@pytest.mark.parametrize("path", bicep.param_files(), ids=lambda p: p.name)
def test_a_param_file_names_its_cloud(path):
    assert bicep.read_bicepparam(path).values["azureCloud"] == f"'{BOUNDARIES[path.stem]}'"


@pytest.mark.parametrize("path", bicep.param_files(), ids=lambda p: p.name)
def test_secure_params_come_from_the_environment_not_the_file(path):
    values = bicep.read_bicepparam(path).values
    secure = [p.name for p in bicep.declared_params(bicep.MAIN).values() if p.secure and p.name in values]

    assert secure
    for name in secure:
        assert values[name].startswith("readEnvironmentVariable('LOOM_"), (name, values[name])


def test_the_il5_file_says_aks_is_out_of_scope():
    text = (bicep.BICEP_DIR / "il5.bicepparam").read_text()

    assert "AKS" in text and "OUT OF SCOPE" in text
    deploy_doc = " ".join((bicep.REPO / "docs" / "deploy.md").read_text().split())
    assert "AKS" in deploy_doc and "out of scope" in deploy_doc
    assert (
        bicep.read_bicepparam(bicep.BICEP_DIR / "il5.bicepparam").values["workloadProfileType"]
        != "'Consumption'"
    )


# --- the reader itself -----------------------------------------------------------------------------


def write(tmp_path, text):
    (tmp_path / "main.bicep").write_text(
        "@description('a')\nparam required string\n@description('b')\nparam optional int = 1\n"
        "@description('c')\nparam maybe string?\n"
    )
    path = tmp_path / "x.bicepparam"
    path.write_text(text)
    return path


def test_the_reader_reports_an_undeclared_param(tmp_path):
    path = write(tmp_path, "using 'main.bicep'\nparam required = 'x'\nparam typo = 2\n")

    assert bicep.check_bicepparam(path) == ["x.bicepparam: param typo is not declared in main.bicep"]


def test_the_reader_reports_a_missing_required_param(tmp_path):
    path = write(tmp_path, "using 'main.bicep'\n// param required = 'x'\nparam optional = 3\n")

    assert bicep.check_bicepparam(path) == ["x.bicepparam: required param required of main.bicep is not set"]


def test_the_reader_reports_a_missing_template(tmp_path):
    path = tmp_path / "x.bicepparam"
    path.write_text("using 'nowhere.bicep'\n")

    assert bicep.check_bicepparam(path) == [
        f"x.bicepparam: using target {tmp_path / 'nowhere.bicep'} does not exist"
    ]


def test_the_reader_reads_multi_line_values_and_keeps_urls_in_strings(tmp_path):
    path = write(
        tmp_path,
        "using 'main.bicep' /* the template */\nparam required = 'https://x.example/a' // a URL\n"
        "param optional = [\n  1\n  2\n]\n",
    )

    read = bicep.read_bicepparam(path)
    assert read.values == {"required": "'https://x.example/a'", "optional": "[\n1\n2\n]"}
    assert bicep.check_bicepparam(path) == []


def test_the_reader_rejects_a_statement_it_does_not_know(tmp_path):
    path = write(tmp_path, "using 'main.bicep'\nvar x = 1\n")

    with pytest.raises(bicep.BicepParamError, match=r"x.bicepparam:2: expected 'using' or 'param'"):
        bicep.read_bicepparam(path)
