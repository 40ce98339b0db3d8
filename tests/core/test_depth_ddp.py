"""DistributedDataParallel on CPU (gloo, 2 processes): two predictor steps and two energy steps leave the
parameters identical on both ranks and equal to one process on the concatenated batch (no Qt)."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.depth.train import DepthTrainer

ROOT = Path(__file__).resolve().parents[2]
CONFIG = dict(energy="both", method="ml", seed=3, height=20, width=24, n_train=8, n_eval=1, batch_size=4, base=4,
              energy_channels=4, langevin_steps=3, predictor_steps=2, energy_steps=2, eval_every=0, lr=1e-3,
              energy_lr=1e-3)

WORKER = """
import json, sys, torch
torch.set_num_threads(1)
from core.depth.cli import _init_distributed
assert _init_distributed("cpu")  # as `ebm depth train` does under torchrun (env: RANK, WORLD_SIZE, MASTER_*)
from torch import distributed as dist
from core.depth.train import DepthTrainer
tr = DepthTrainer(**json.loads(sys.argv[1]))
assert tr.world == 2 and tr.distributed
while tr.t < tr.total_steps:
    tr.step()
torch.save(tr.model.state_dict(), sys.argv[2])
dist.destroy_process_group()
"""


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread: on a few shared cores, OpenMP workers spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_step_on_two_gloo_processes_matches_one_process(tmp_path):
    port = _free_port()
    procs = []
    for rank in range(2):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(CONFIG), str(tmp_path / f"r{rank}.pt")],
                                      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
    single = DepthTrainer(distributed=False, **CONFIG)
    assert single.world == 1
    initial = {k: v.clone() for k, v in single.model.state_dict().items()}
    while single.t < single.total_steps:
        single.step()
    r0 = torch.load(tmp_path / "r0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "r1.pt", weights_only=True)
    moved = 0
    for key, value in single.model.state_dict().items():
        assert torch.equal(r0[key], r1[key]), f"{key} differs between ranks"
        torch.testing.assert_close(r0[key], value, rtol=1e-4, atol=1e-5, msg=f"{key}: DDP vs one process")
        moved += int(not torch.equal(value, initial[key]))
    assert moved > 20  # both phases really updated parameters (predictor and both energies)
    for name in ("predictor.head.weight", "energies.frame.weights.4.weight", "energies.cnn.out.weight"):
        assert not torch.equal(single.model.state_dict()[name], initial[name]), name
