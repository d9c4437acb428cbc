"""OpenAPI links: which later call takes an id from an earlier answer (a request created, then
read or cancelled; a proposal listed, then answered). Clients and schemathesis's stateful tests
follow them to chain calls with real ids."""

from typing import Any

# The operations other answers link to, by their stable operationId.
GET_REQUEST = "get_request"
CANCEL_REQUEST = "cancel_request"
COMPLETE_REQUEST = "complete_request"
GIVE_FEEDBACK = "give_feedback"
ACCEPT_PROPOSAL = "accept_proposal"
DECLINE_PROPOSAL = "decline_proposal"
REQUEST_CANDIDATES = "request_candidates"
MATCH_REQUEST = "match_request"
MARK_INBOX_ITEM_READ = "mark_inbox_item_read"

OWN_REQUEST_FOLLOW_UPS = (GET_REQUEST, CANCEL_REQUEST, COMPLETE_REQUEST, GIVE_FEEDBACK)
PROPOSAL_FOLLOW_UPS = (ACCEPT_PROPOSAL, DECLINE_PROPOSAL)
COORDINATOR_FOLLOW_UPS = (GET_REQUEST, REQUEST_CANDIDATES, MATCH_REQUEST)


def links_from(
    status: int, pointer: str, parameter: str, operations: tuple[str, ...]
) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose answer at JSON `pointer` is the `parameter` of each of
    `operations`."""
    return {
        status: {
            "links": {
                operation: {
                    "operationId": operation,
                    "parameters": {parameter: f"$response.body#{pointer}"},
                }
                for operation in operations
            }
        }
    }
