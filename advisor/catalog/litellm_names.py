"""LiteLLM model names that no model profile's id or alias spells, mapped to the profile they
serve: the hosts' own names for the same weights. Each entry says where the name is defined;
a name not here and not an alias stays unmatched (never guessed from its look).

Keys are the part of a LiteLLM key after the provider prefix ('together_ai/', 'groq/' …),
compared after `advisor.domain.normalize_name`. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

# name after the provider prefix -> model profile id
ALIASES: dict[str, str] = {
    # DeepInfra and Together sell "Turbo" endpoints: the same weights served in FP8
    # (deepinfra.com/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo/api lists "fp8").
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": "llama-3.1-8b",
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo": "llama-3.1-70b",
    "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo": "llama-3.1-405b",
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": "llama-3.3-70b",
    "Qwen/Qwen2.5-72B-Instruct-Turbo": "qwen2.5-72b",
    "Qwen/Qwen2.5-7B-Instruct-Turbo": "qwen2.5-7b",
    # Groq model ids (console.groq.com/docs/models)
    "llama-3.1-8b-instant": "llama-3.1-8b",
    "llama-3.3-70b-versatile": "llama-3.3-70b",
    # Fireworks model ids, 'p' for the point (fireworks.ai/models/fireworks/llama-v3p1-70b-instruct)
    "accounts/fireworks/models/llama-v3p1-8b-instruct": "llama-3.1-8b",
    "accounts/fireworks/models/llama-v3p1-70b-instruct": "llama-3.1-70b",
    "accounts/fireworks/models/llama-v3p1-405b-instruct": "llama-3.1-405b",
    "accounts/fireworks/models/llama-v3p3-70b-instruct": "llama-3.3-70b",
    "accounts/fireworks/models/mixtral-8x7b-instruct": "mixtral-8x7b",
    "accounts/fireworks/models/mixtral-8x22b-instruct": "mixtral-8x22b",
    "accounts/fireworks/models/qwen2p5-72b-instruct": "qwen2.5-72b",
    "accounts/fireworks/models/deepseek-v3": "deepseek-v3",
    "accounts/fireworks/models/deepseek-r1": "deepseek-r1",
    "accounts/fireworks/models/deepseek-v3p1": "deepseek-v3.1",
    "accounts/fireworks/models/glm-4p5": "glm-4.5",
    "accounts/fireworks/models/glm-4p5-air": "glm-4.5-air",
    "accounts/fireworks/models/glm-4p6": "glm-4.6",
    # Fireworks "basic" serverless endpoints: the same weights on slower, cheaper serving
    # (the LiteLLM map cites fireworks.ai/pricing for both)
    "accounts/fireworks/models/llama4-maverick-instruct-basic": "llama-4-maverick",
    "accounts/fireworks/models/llama4-scout-instruct-basic": "llama-4-scout",
    # Together's FP8 throughput tier (together.ai/models/qwen3-235b-a22b-fp8-tput)
    "Qwen/Qwen3-235B-A22B-fp8-tput": "qwen3-235b-a22b",
}

# LiteLLM provider -> the name shown for the host
PROVIDERS: dict[str, str] = {
    "deepinfra": "DeepInfra", "together_ai": "Together AI", "fireworks_ai": "Fireworks", "groq": "Groq",
    "deepseek": "DeepSeek", "cerebras": "Cerebras", "nebius": "Nebius AI Studio", "hyperbolic": "Hyperbolic",
    "novita": "Novita", "sambanova": "SambaNova", "lambda_ai": "Lambda", "openrouter": "OpenRouter",
}
