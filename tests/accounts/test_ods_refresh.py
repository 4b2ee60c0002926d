"""The monthly ODS refresh (accounts.tasks.ods_refresh_task) from the files the settings name."""

import logging

import pytest
from celery.schedules import crontab

from accounts.models import IntegratedCareSystem, Organisation
from accounts.ods import OdsFileError
from accounts.tasks import ods_refresh_task

from .test_ods_import import ECCG, ETR

pytestmark = pytest.mark.django_db


@pytest.fixture
def unset(settings):
    settings.ODS_ICBS_FILE = settings.ODS_TRUSTS_FILE = settings.ODS_SUCCESSORS_FILE = ""
    return settings


def test_with_no_file_configured_it_does_nothing_and_says_so(unset, caplog):
    with caplog.at_level(logging.INFO, logger="accounts.ods"):
        ods_refresh_task.delay()
    assert "nothing to load" in caplog.text
    assert not IntegratedCareSystem.objects.exists()


def test_it_loads_the_configured_extracts(unset, tmp_path, caplog):
    (tmp_path / "eccg.csv").write_text(ECCG)
    (tmp_path / "etr.csv").write_text(ETR)
    unset.ODS_ICBS_FILE = str(tmp_path / "eccg.csv")
    unset.ODS_TRUSTS_FILE = str(tmp_path / "etr.csv")
    with caplog.at_level(logging.INFO, logger="accounts.ods"):
        ods_refresh_task.delay()
    assert Organisation.objects.filter(ods_code="G6V2S").exists()
    assert "trusts: 7 added" in caplog.text


def test_a_file_that_is_not_an_extract_fails_the_task(unset, tmp_path):
    (tmp_path / "etr.csv").write_text("<html>Maintenance</html>")
    unset.ODS_TRUSTS_FILE = str(tmp_path / "etr.csv")
    with pytest.raises(OdsFileError, match="web page"):
        ods_refresh_task.apply(throw=True)


def test_beat_runs_it_monthly(settings):
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "accounts.tasks.ods_refresh_task"
    ]
    assert len(entries) == 1, "add ods_refresh_task to CELERY_BEAT_SCHEDULE"
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab), schedule
    assert len(schedule.day_of_month) == 1 and len(schedule.hour) == 1, "once a month"
