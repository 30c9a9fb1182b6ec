"""The message bus as a person uses it from the Messages view, on real
Docker: phase 1's agents subscribe to their topics as they start; a health
check asked of one agent comes back as its reply; a broadcast reaches all
20; a message to a stopped agent becomes a dead letter, and once the agent
runs again it is re-queued and delivered."""

import re

from conftest import closed_port_url, remove_phase_1
from selenium.webdriver.support.ui import Select
from test_tasks import choose, deploy_phase_1, find, retype, wait_content


def pick(app, test_id: str, value: str) -> None:
    """Chooses an option that is there from the start."""
    Select(find(app, test_id)).select_by_value(value)


def sent_id(app) -> str:
    """The id of the message the form just sent."""
    text = app.wait(
        lambda d: (e := d.find_elements("css selector", '[data-testid="message-sent"]')) and e[0].text, 20
    )
    return re.fullmatch(r"Sent (m-[0-9a-z]+-[0-9a-f]+)", text).group(1)


def test_messages_are_sent_answered_broadcast_and_dead_letters_requeued(launch):
    remove_phase_1()
    app = launch({"SUTAZAI_OLLAMA_URL": closed_port_url()})
    try:
        deploy_phase_1(app)
        app.click("nav-messages")
        app.wait_text("view-title", "Messages")
        # Every agent subscribes to "all" as it starts (the topics are read
        # every 5 s).
        app.wait(lambda d: (t := app.safe_text("topic-all")) is not None and t.endswith(" 20"), 40)

        # Request-response: AG-001's runtime answers a health check.
        pick(app, "message-pattern", "request_response")
        choose(app, "message-recipient", "AG-001")
        pick(app, "message-type", "health_check")
        retype(find(app, "message-payload-input"), '{"probe": "e2e"}')
        app.click("message-send")
        reply = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="message-reply"]')) and e[0].text, 30
        )
        assert "Reply from AG-001" in reply and '"agentId": "AG-001"' in reply, reply
        # The request opens, its delivery replied, the reply under it.
        app.wait_text("delivery-status-AG-001", "replied", 20)
        assert '"status": "ok"' in app.text("message-reply-AG-001")
        app.screenshot("message-request-reply")

        # Broadcast: every deployed agent gets it.
        pick(app, "message-pattern", "broadcast")
        pick(app, "message-type", "system_announcement")
        retype(find(app, "message-payload-input"), '{"text": "hello, fleet"}')
        app.click("message-send")
        broadcast = sent_id(app)
        wait_content(app, f"message-deliveries-{broadcast}", "20 delivered", 30)
        app.screenshot("message-broadcast")

        # A stopped agent: retried, then a dead letter.
        app.click("nav-agents")
        app.wait_text("agent-status-AG-005", "healthy", 30)
        app.click("action-stop-AG-005")
        app.wait_text("agent-status-AG-005", "stopped", 30)
        app.click("nav-messages")
        pick(app, "message-pattern", "point_to_point")
        choose(app, "message-recipient", "AG-005")
        pick(app, "message-type", "task_request")
        pick(app, "message-priority", "high")
        app.click("message-send")
        lost = sent_id(app)
        wait_content(app, f"message-deliveries-{lost}", "1 dead", 60)
        pick(app, "messages-filter-status", "dead")
        wait_content(app, "messages-count", "1 message", 20)
        app.click(f"message-row-{lost}")
        app.wait_text("delivery-status-AG-005", "dead", 20)
        # The delivery says why its last attempt failed.
        assert not app.text("delivery-AG-005").endswith("—"), app.text("delivery-AG-005")
        app.screenshot("message-dead-letter")

        # Once AG-005 runs again, the dead letter is re-queued and delivered.
        app.click("nav-agents")
        app.wait_text("agent-status-AG-005", "stopped", 30)
        app.click("action-start-AG-005")
        app.wait_text("agent-status-AG-005", "healthy", 60)
        app.click("nav-messages")
        app.click(f"message-row-{lost}")
        app.click("message-requeue")
        app.wait_text("delivery-status-AG-005", "delivered", 30)
        pick(app, "messages-filter-status", "")
        app.wait(lambda d: find(app, "messages-filter-status").get_attribute("value") == "", 5)
        wait_content(app, f"message-deliveries-{lost}", "1 delivered", 20)
        # Every message of the test is listed: the request and its reply,
        # the broadcast, the dead letter now delivered.
        wait_content(app, "messages-count", "4 messages", 20)
        app.screenshot("message-requeued")
    finally:
        remove_phase_1()
