"""The delivery worker: sends due notifications, one channel at a time, and records each try.

For one notification:
1. gather, outside any transaction: preferences, the recipient's contact (registry, at send
   time, not kept), the other party's first name and, when both agreed, phone; render.
2. write the in-app inbox item (always, once: unique per notification);
3. hold it when the recipient's quiet hours are on (only urgent proposals break them), or,
   for a coordinator who chose a daily digest, until the digest goes out;
4. claim it ("sending", with the channel) in its own transaction, send, and record the outcome
   with a delivery-log row and a `notification.sent` / `notification.failed` event (outbox).

A transient failure is retried with exponential backoff up to `attempts_per_channel`; then
`notification.failed` names the channel and the next channel in the member's preference is
tried. A notification found still "sending" after `sending_lease_seconds` was interrupted
between sending and recording: it is marked "uncertain" and NOT sent again (at most once on
external channels; the inbox item is already there). See docs/notify.md.
"""

from services.notify.service_layer.delivery.base import DeliveryConfig
from services.notify.service_layer.delivery.deliver import DeliveryWorker

__all__ = ["DeliveryConfig", "DeliveryWorker"]
