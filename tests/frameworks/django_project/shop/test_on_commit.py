"""Transactional enqueue on PostgreSQL: a rolled-back transaction enqueues nothing."""

from __future__ import annotations

import json
import os

import redis
from django.db import transaction
from django.test import TransactionTestCase

from shop.jobs import ship
from shop.models import Order
from workhorse import client as client_module
from workhorse.contrib.django import conf
from workhorse.contrib.django.apps import configure

QUEUE = "{dj}:queue:default"


class Rollback(Exception):
    pass


class OnCommitTests(TransactionTestCase):
    def setUp(self) -> None:
        self.r = redis.Redis.from_url(os.environ["WH_TEST_REDIS_URL"], decode_responses=True)
        self.r.delete(QUEUE, "{dj}:schedule")
        self.addCleanup(self.r.close)
        previous = client_module.set_default_client(None)
        self.addCleanup(client_module.set_default_client, previous)
        configure(conf.load())

    def queued(self) -> list[str]:
        return [json.loads(raw)["jid"] for raw in reversed(self.r.lrange(QUEUE, 0, -1))]

    def test_a_rolled_back_transaction_enqueues_nothing(self) -> None:
        with self.assertRaises(Rollback), transaction.atomic():
            order = Order.objects.create(item="book")
            jid = ship.on_commit().perform_async(order.pk)
            self.assertIsNotNone(jid)
            raise Rollback
        self.assertEqual(self.queued(), [])
        self.assertFalse(Order.objects.exists())

    def test_a_committed_transaction_enqueues_every_job_after_the_commit(self) -> None:
        with transaction.atomic():
            orders = [Order.objects.create(item=f"book {i}") for i in range(3)]
            jids = [ship.on_commit().perform_async(o.pk) for o in orders]
            jids.append(ship.on_commit().perform_in(3600, orders[0].pk))
            self.assertEqual(self.queued(), [], "nothing may be visible before the commit")
        self.assertEqual(self.queued(), jids[:3])
        self.assertEqual(self.r.zcard("{dj}:schedule"), 1)

    def test_jobs_of_a_rolled_back_savepoint_are_dropped_and_the_rest_kept(self) -> None:
        with transaction.atomic():
            kept = ship.on_commit().perform_async(1)
            with self.assertRaises(Rollback), transaction.atomic():
                ship.on_commit().perform_async(2)
                raise Rollback
        self.assertEqual(self.queued(), [kept])

    def test_outside_a_transaction_on_commit_enqueues_at_once(self) -> None:
        jid = ship.on_commit().perform_async(1)
        self.assertEqual(self.queued(), [jid])

    def test_plain_perform_async_is_immediate_unless_the_global_switch_is_on(self) -> None:
        with self.assertRaises(Rollback), transaction.atomic():
            immediate = ship.perform_async(1)
            raise Rollback
        self.assertEqual(self.queued(), [immediate])

    def test_the_global_switch_defers_every_enqueue_inside_atomic(self) -> None:
        configure(
            conf.WorkhorseSettings(
                redis_url=os.environ["WH_TEST_REDIS_URL"], prefix="{dj}", on_commit=True
            )
        )
        with self.assertRaises(Rollback), transaction.atomic():
            ship.perform_async(1)
            ship.perform_bulk([[2], [3]])
            raise Rollback
        self.assertEqual(self.queued(), [])
        with transaction.atomic():
            jid = ship.perform_async(4)
            self.assertEqual(self.queued(), [])
        self.assertEqual(self.queued(), [jid])
