"""WeChat platform simulator: plays WeChat's side over real HTTP for the demo and tests.

- `WeChatPeer` posts resident messages to the bot's webhook like WeChat (signature, AES,
  5-second timeout and retries) and reads the passive replies;
- `create_simulator_app` serves the outbound API the bot calls (/cgi-bin/...), a JSON
  control API (/api/...) and a chat page (/).
"""

from bot.simulator.app import create_simulator_app, mount_simulator
from bot.simulator.config import SimulatorConfig
from bot.simulator.models import Fault, Resident
from bot.simulator.peer import PostResult, SignedRequest, WeChatPeer, sign
from bot.simulator.state import SIMULATOR_STATE, SimulatorState

__all__ = [
    "SIMULATOR_STATE",
    "Fault",
    "PostResult",
    "Resident",
    "SignedRequest",
    "SimulatorConfig",
    "SimulatorState",
    "WeChatPeer",
    "create_simulator_app",
    "mount_simulator",
    "sign",
]
