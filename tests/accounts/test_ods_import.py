import pytest
from django.core.management import CommandError, call_command

from accounts.models import IntegratedCareSystem, Organisation

pytestmark = pytest.mark.django_db

ICBS = (
    '"QWE","NHS SOUTH WEST LONDON INTEGRATED CARE BOARD","Y56","","","","","","","","20220701",""\n'
    '"QOX","NHS BATH AND NORTH EAST SOMERSET ICB","Y58","","","","","","","","20220701",""\n'
    '"Q99","NHS CLOSED ICB","Y58","","","","","","","","20220701","20240101"\n'
)
TRUSTS = (
    '"RJ1","GUY\'S AND ST THOMAS\' NHS FOUNDATION TRUST","Y56","QKK","","","","","","","19930401",""\n'
    '"RAX","KINGSTON AND RICHMOND NHS FOUNDATION TRUST","Y56","QWE","","","","","","","19920401",""\n'
    '"RD1","ROYAL UNITED HOSPITALS BATH NHS FOUNDATION TRUST","Y58","QOX","","","","","","","19920401",""\n'
    '"RXX","A CLOSED TRUST","Y58","QOX","","","","","","","19920401","20200331"\n'
)


@pytest.fixture
def files(tmp_path):
    icbs, trusts = tmp_path / "icbs.csv", tmp_path / "etr.csv"
    icbs.write_text(ICBS)
    trusts.write_text(TRUSTS)
    return icbs, trusts


def test_loads_open_icbs_and_trusts_and_reports_orphans(files):
    icbs, trusts = files
    with pytest.raises(CommandError, match="1 rows were not loaded"):
        call_command("import_ods", icbs=icbs, trusts=trusts)
    assert set(IntegratedCareSystem.objects.values_list("ods_code", flat=True)) == {"QWE", "QOX"}
    bath = Organisation.objects.get(ods_code="RD1")
    assert bath.name == "Royal United Hospitals Bath NHS Foundation Trust"
    assert bath.ics.ods_code == "QOX"
    assert not Organisation.objects.filter(ods_code__in=["RJ1", "RXX"]).exists()


def test_running_twice_changes_nothing(files):
    icbs, trusts = files
    for _ in range(2):
        with pytest.raises(CommandError):
            call_command("import_ods", icbs=icbs, trusts=trusts)
    assert Organisation.objects.count() == 2
    assert IntegratedCareSystem.objects.count() == 2


def test_needs_a_file():
    with pytest.raises(CommandError, match="Give --icbs"):
        call_command("import_ods")
