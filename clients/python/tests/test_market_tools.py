"""The SDK's market tools against a live coordinator: price quotes, re-auctions, raising a job's
maximum, and the final states as the contract's table names them."""

from __future__ import annotations

from typing import Any

import pytest

import proofmarket
from conftest import Account


def test_a_quote_prices_the_models_work_and_counts_the_floors_it_clears(client: Account, model: proofmarket.Model,
                                                                         make_account: Any) -> None:
    me: Account = make_account("worker")
    registered = me.client.workers.register("py-floor", min_price_per_mmac=0)
    assert registered.min_price_per_mmac == 0 and me.client.workers.get(registered.id).min_price_per_mmac == 0

    quote = client.client.market.quote(model.id)
    assert quote.model_id == model.id and quote.work_macs == model.work_macs
    assert quote.batch == 1 and quote.job_macs == model.work_macs and quote.window_s > 0
    s = quote.suggested
    assert s.auction == "dutch" and s.basis in {"market", "worker_floors", "default"}
    assert s.max_price == -(-s.max_price_per_mmac * quote.job_macs // 1_000_000), "the maximum is the rate's price, rounded up"
    assert 0 <= s.min_price <= s.max_price and s.ramp_up_s is not None and 5 <= s.ramp_up_s <= 300
    # The floor of 0 just registered is active and cleared by any price.
    assert quote.workers_active >= 1 and s.workers_cleared >= 1
    if quote.jobs:
        assert quote.price_per_mmac is not None and quote.workers_cleared is not None
        p = quote.price_per_mmac
        assert p.p10 <= p.p50 <= p.p90 <= s.max_price_per_mmac and s.basis == "market"
        assert quote.workers_cleared.p10 <= quote.workers_cleared.p50 <= quote.workers_cleared.p90
    else:
        assert quote.price_per_mmac is None and quote.workers_cleared is None

    four = client.client.market.quote(model.id, batch=4, auction="sealed")
    assert four.job_macs == 4 * quote.work_macs and four.auction == "sealed"
    assert four.suggested.auction == "sealed" and four.suggested.min_price == 0
    assert four.suggested.bid_window_s is not None and four.suggested.ramp_up_s is None

    # A worker may ask too; bad questions are problems with their codes.
    assert me.client.market.quote(model.id).model_id == model.id
    with pytest.raises(proofmarket.InvalidRequest) as batch:
        client.client.market.quote(model.id, batch=0)
    assert batch.value.code == "invalid_request"
    with pytest.raises(proofmarket.NotFound) as missing:
        client.client.market.quote("0" * 64)
    assert missing.value.code == "unknown_model"


def test_a_job_reauctioned_until_its_rounds_run_out_expires_with_its_escrow_back(
        admin: proofmarket.Client, make_account: Any, model: proofmarket.Model,
        samples: list[tuple[dict[str, Any], int]]) -> None:
    poster: Account = make_account("client", 1_000_000)
    # Two micro-credits is below any worker's floor: nobody locks, so every round ends empty.
    job = poster.client.jobs.create(model.id, samples[0][0], auction="dutch", min_price=1, max_price=2, ramp_up_s=1,
                                    lock_timeout_s=30, deadline_s=300, lock_stake=0,
                                    reauction=proofmarket.ReauctionPolicy(max_rounds=2, price_step_bps=5_000))
    assert job.reauction == proofmarket.JobReauction.from_json({"max_rounds": 2, "price_step_bps": 5_000, "round": 0})
    assert job.escrowed_max_price == 4 and job.round_ends_at is not None
    events = list(poster.client.jobs.events(job.id, timeout=60))
    assert [e.kind for e in events] == ["created", "reauctioned", "reauctioned", "expired"]
    assert [e.detail["max_price"] for e in events if e.kind == "reauctioned"] == ["3", "4"]
    assert events[-1].detail["reason"] == "rounds_exhausted"
    done = poster.client.jobs.get(job.id)
    assert done.status == proofmarket.JobStatus.EXPIRED and done.is_final
    assert done.final_state == proofmarket.FINAL_STATES["expired"]
    assert done.reauction is not None and done.reauction.round == 2 and done.round_ends_at is None
    balance = admin.admin.accounts.get(poster.id)
    assert (balance.available, balance.held) == (1_000_000, 0), "the escrow came back"
    assert admin.admin.ledger.verify().intact


def test_raising_an_open_jobs_maximum_moves_its_escrow(admin: proofmarket.Client, make_account: Any,
                                                       model: proofmarket.Model,
                                                       samples: list[tuple[dict[str, Any], int]]) -> None:
    poster: Account = make_account("client", 1_000_000)
    job = poster.client.jobs.create(model.id, samples[1][0], auction="sealed", max_price=100, bid_window_s=600,
                                    lock_timeout_s=60, deadline_s=3_600)
    raised = poster.client.jobs.raise_max_price(job.id, 40_000, idempotency_key=f"py-raise-{job.id}")
    assert raised.max_price == raised.escrowed_max_price == 40_000
    assert raised.escrow == 40_000 + 40_000 * raised.fee_bps // 10_000
    again = poster.client.jobs.raise_max_price(job.id, 40_000, idempotency_key=f"py-raise-{job.id}")
    assert again.escrow == raised.escrow, "the same key raises once"
    balance = admin.admin.accounts.get(poster.id)
    assert (balance.available, balance.held) == (1_000_000 - raised.escrow, raised.escrow)
    holds = [e for e in admin.admin.ledger(job=job.id) if e.kind == "escrow_hold"]
    assert [e.amount for e in holds] == [job.escrow, raised.escrow - job.escrow]
    assert holds[1].reference == f"raise/{job.id}/40000"
    assert "max_price_raised" in [e.kind for e in poster.client.jobs.get(job.id).events or ()]
    assert admin.admin.ledger.verify().intact

    with pytest.raises(proofmarket.InvalidRequest) as lower:
        poster.client.jobs.raise_max_price(job.id, 50)
    assert lower.value.code == "invalid_terms"
    with pytest.raises(proofmarket.InsufficientBalance):
        poster.client.jobs.raise_max_price(job.id, 1_000_000_000_000)
    assert poster.client.jobs.cancel(job.id).status == proofmarket.JobStatus.CANCELLED
    with pytest.raises(proofmarket.Conflict) as closed:
        poster.client.jobs.raise_max_price(job.id, 50_000)
    assert closed.value.code == "job_not_open"
    assert admin.admin.accounts.get(poster.id).available == 1_000_000
    assert admin.admin.ledger.verify().intact
