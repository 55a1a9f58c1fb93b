"""deploy-pod: NVIDIA DGX + IBM Storage Scale AI pods from one Ansible inventory."""

__version__ = "0.1.0"
