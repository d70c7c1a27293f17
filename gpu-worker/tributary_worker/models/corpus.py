"""The built-in text tiny-llama's tokenizer is trained on.

Plain English of the kind Datanets hold (questions, answers, instructions, notes) so that common
words become single tokens; byte-level BPE still encodes any other text, just in more tokens.
Changing this text changes the tokenizer, so TINY_LLAMA_VERSION must change with it.
"""

from __future__ import annotations

CORPUS = """\
The river carries water from the mountains to the sea, and every stream that joins it adds to the flow.
A community pools its data so that a model can learn what no single member could teach it alone.
What is the capital of France? The capital of France is Paris.
What is the capital of Italy? The capital of Italy is Rome.
How many days are in a week? There are seven days in a week.
How many hours are in a day? There are twenty four hours in a day.
Translate the following sentence into French: Good morning, how are you?
Summarize the text below in one sentence.
Write a short poem about the ocean and the moon.
Explain why the sky is blue to a child who is five years old.
The quick brown fox jumps over the lazy dog while the cat sleeps in the sun.
You are a helpful assistant. Answer the question clearly and briefly.
Please give me three ideas for a birthday party in the garden.
The answer is yes. The answer is no. I do not know the answer to that question.
First, mix the flour and the water. Then, let the dough rest for one hour. Finally, bake it.
A function takes an input and returns an output; a test checks that the output is right.
def add(a, b):
    return a + b
for item in items:
    print(item)
{"id": 1, "name": "example", "tags": ["one", "two"], "value": 3.5}
Numbers: 0 1 2 3 4 5 6 7 8 9 10 11 12 20 50 100 1000 2024 2025.
Doctors, lawyers, farmers, teachers and engineers each know things that others do not.
The contract records who contributed which data, and the chain keeps that record honest.
Thank you for your help! You are welcome. Have a nice day.
Question: Which planet is the largest? Answer: Jupiter is the largest planet.
Question: What color is grass? Answer: Grass is green.
Instruction: List the primary colors. Response: Red, yellow and blue.
User: Hello! Assistant: Hi, how can I help you today?
"""
