"""Which language is a surname from? A character-level nn.RNN reads the name one letter (a
one-hot vector) at a time; a linear layer on its last hidden state gives log-probabilities of
each language. Trained with SGD on mini-batches of single names, evaluated with a confusion
matrix, then asked about a few names.

    python char_rnn_classify.py --epochs 5        (run from tests/programs)
"""
import argparse
import glob
import os
import random
import string
import time
import unicodedata

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import Dataset

parser = argparse.ArgumentParser(description="character-level RNN name classifier")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--hidden", type=int, default=32)
parser.add_argument("--lr", type=float, default=0.15)
parser.add_argument("--seed", type=int, default=2024)
parser.add_argument("--save-init", type=str, default="", help="write the initial weights (.npz)")
parser.add_argument("--init-from", type=str, default="", help="start from weights in a .npz")
args = parser.parse_args()

random.seed(args.seed)
torch.manual_seed(args.seed)
device = torch.device("cpu")
if torch.cuda.is_available():
    device = torch.device("cuda")
torch.set_default_device(device)
print(f"Using device = {torch.get_default_device()}")

allowed_characters = string.ascii_letters + " .,;'" + "_"
n_letters = len(allowed_characters)


def unicodeToAscii(s):
    """'Müller' -> 'Muller': decompose, drop the accents and anything not allowed."""
    return "".join(c for c in unicodedata.normalize("NFD", s)
                   if unicodedata.category(c) != "Mn" and c in allowed_characters)


def letterToIndex(letter):
    if letter not in allowed_characters:
        return allowed_characters.find("_")
    return allowed_characters.find(letter)


def lineToTensor(line):
    """A name as a (len, 1, n_letters) stack of one-hot rows."""
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(unicodeToAscii("Ślusàrski"), lineToTensor("Jones").size())


class NamesDataset(Dataset):
    """(label tensor, name tensor, label, name) for every line of data_dir/<Language>.txt."""

    def __init__(self, data_dir):
        self.data, self.data_tensors, self.labels, self.labels_tensors = [], [], [], []
        labels_set = set()
        for filename in sorted(glob.glob(os.path.join(data_dir, "*.txt"))):
            label = os.path.splitext(os.path.basename(filename))[0]
            labels_set.add(label)
            with open(filename, encoding="utf-8") as f:
                for name in f.read().strip().split("\n"):
                    name = unicodeToAscii(name)
                    self.data.append(name)
                    self.data_tensors.append(lineToTensor(name))
                    self.labels.append(label)
        self.labels_uniq = sorted(labels_set)
        for label in self.labels:
            self.labels_tensors.append(
                torch.tensor([self.labels_uniq.index(label)], dtype=torch.long))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        return self.labels_tensors[idx], self.data_tensors[idx], self.labels[idx], self.data[idx]


alldata = NamesDataset("data/names")
print(f"loaded {len(alldata)} items of data; example: {alldata[0]}"[:80])
train_set, test_set = torch.utils.data.random_split(
    alldata, [0.85, 0.15], generator=torch.Generator(device=device).manual_seed(args.seed))
print(f"train examples = {len(train_set)}, validation examples = {len(test_set)}")


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        return self.softmax(output)


rnn = CharRNN(n_letters, args.hidden, len(alldata.labels_uniq))
if args.save_init:
    np.savez(args.save_init, **{k: v.cpu().numpy() for k, v in rnn.state_dict().items()})
if args.init_from:
    weights = np.load(args.init_from)
    rnn.load_state_dict({k: torch.from_numpy(weights[k]) for k in weights.files})
print(rnn)


def label_from_output(output, output_labels):
    top_n, top_i = output.topk(1)
    label_i = top_i[0].item()
    return output_labels[label_i], label_i


def train(rnn, training_data, n_epoch=10, n_batch_size=64, report_every=1, learning_rate=0.2,
          criterion=nn.NLLLoss()):  # noqa: B008 (the tutorial's idiom)
    current_loss = 0
    all_losses = []
    rnn.train()
    optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate)
    start = time.time()
    print(f"training on data set with n = {len(training_data)}")
    for iter in range(1, n_epoch + 1):
        rnn.zero_grad()
        batches = list(range(len(training_data)))
        random.shuffle(batches)
        batches = np.array_split(batches, len(batches) // n_batch_size)
        for batch in batches:
            batch_loss = 0
            for i in batch:
                (label_tensor, text_tensor, label, text) = training_data[i]
                output = rnn.forward(text_tensor)
                loss = criterion(output, label_tensor)
                batch_loss += loss
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()
            current_loss += batch_loss.item() / len(batch)
        all_losses.append(current_loss / len(batches))
        if iter % report_every == 0:
            print(f"{iter} ({iter / n_epoch:.0%}): \t average batch loss = {all_losses[-1]:.4f}"
                  f" ({time.time() - start:.1f}s)")
        current_loss = 0
    return all_losses


all_losses = train(rnn, train_set, n_epoch=args.epochs, n_batch_size=args.batch_size,
                   learning_rate=args.lr)


def evaluate(rnn, testing_data, classes):
    confusion = torch.zeros(len(classes), len(classes))
    rnn.eval()
    with torch.no_grad():
        for i in range(len(testing_data)):
            (label_tensor, text_tensor, label, text) = testing_data[i]
            output = rnn(text_tensor)
            guess, guess_i = label_from_output(output, classes)
            label_i = classes.index(label)
            confusion[label_i][guess_i] += 1
    for i in range(len(classes)):
        denom = confusion[i].sum()
        if denom > 0:
            confusion[i] = confusion[i] / denom
    return confusion.cpu().numpy()


confusion = evaluate(rnn, test_set, classes=alldata.labels_uniq)
print(f"validation accuracy (mean of the confusion diagonal over seen classes) = "
      f"{np.trace(confusion) / max(1, (confusion.sum(1) > 0).sum()):.3f}")


def predict(input_line, n_predictions=3):
    print(f"\n> {input_line}")
    with torch.no_grad():
        output = rnn(lineToTensor(input_line))
        topv, topi = output.topk(n_predictions, 1, True)
        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print(f"({value:.2f}) {alldata.labels_uniq[category_index]}")


predict("Dovesky")
predict("Jackson")
predict("Satoshi")
