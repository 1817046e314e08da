"""drumsplit_model: MDX23C / TFC-TDF v3 for drumsplit's export tool.

Our own implementation of the TFC-TDF v3 network whose state_dict keys and
shapes are exactly those of MSST / UVR checkpoints, the loaders for MSST
yaml configs and checkpoints, and the writer of drumsplit's TorchScript
model archive (docs/ARCHITECTURE.md, "The exported model format").

Every error meant for a user is an ExportError whose message is one line.
"""

from .config import ExportError, ModelConfig, load_config, parse_config
from .net import TFCTDFNet, IdentityNet
from .checkpoint import UnsafeCheckpointWarning, load_checkpoint, load_state_dict_into, read_state_dict
from .export import (FORMAT, FORMAT_VERSION, build_metadata, export_model, export_module,
                     half_weights, random_state_dict)

__all__ = [
    "ExportError", "ModelConfig", "load_config", "parse_config",
    "TFCTDFNet", "IdentityNet",
    "UnsafeCheckpointWarning", "load_checkpoint", "load_state_dict_into", "read_state_dict",
    "FORMAT", "FORMAT_VERSION", "build_metadata", "export_model", "export_module",
    "half_weights", "random_state_dict",
]
