"""Airflow DAG: the quarterly fairaudit review.

Runs at the start of each quarter for the quarter that just ended. Exit code 3
(threshold breached) fails the task so Airflow's alerting fires; the report and
the history record are written either way. Reruns (clear the task) add a new
version of the period, never overwrite it.
"""
from __future__ import annotations

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="fairaudit_quarterly_review",
    schedule="0 6 1 1,4,7,10 *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["fairness", "fairaudit"],
    default_args={"retries": 0},  # a breach is a finding, not a transient failure
) as dag:
    # data_interval_start is the first day of the quarter being reviewed
    period = ("{{ data_interval_start.year }}-Q{{ (data_interval_start.month + 2) // 3 }}")
    BashOperator(
        task_id="review",
        bash_command=(
            "cd /srv/fairaudit && .venv/bin/fairaudit review --config review.toml "
            f"--period {period} -q"
        ),
        env={"HF_HUB_OFFLINE": "1"},
        append_env=True,  # keeps secrets such as FAIRAUDIT_DB_PASSWORD from the worker
    )
