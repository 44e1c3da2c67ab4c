"""minigrad.utils.data against torch.utils.data: collate structure, batch counts, samplers,
random_split sizes and the errors for conflicting options."""
import collections
import warnings

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

if torch is not None:
    import torch.utils.data as tud

NT = collections.namedtuple("NT", "a b")


def desc(x):
    """A library-neutral description of a batch: structure, tensor shapes and dtypes."""
    if isinstance(x, mg.Tensor):
        return ("T", tuple(x.shape), np.dtype(x.dtype).name)
    if torch is not None and isinstance(x, torch.Tensor):
        return ("T", tuple(x.shape), str(x.dtype).replace("torch.", ""))
    if isinstance(x, dict):
        return (type(x).__name__, {k: desc(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(desc(v) for v in x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [desc(v) for v in x])
    return ("obj", x)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error type is what we compare
        return type(e), str(e)
    return None, None


@pytest.fixture
def torch_f32():
    if torch is not None:
        torch.set_default_dtype(torch.float32)
    yield
    if torch is not None:
        torch.set_default_dtype(torch.float64)


# ----------------------------------------------------------------------------- collate

BATCHES = {
    "ints": lambda M: [1, 2], "floats": lambda M: [1.0, 2.0], "bools": lambda M: [True, False],
    "int_then_float": lambda M: [1, 2.5], "float_then_int": lambda M: [2.5, 1],
    "np_f32": lambda M: [np.float32(1), np.float32(2)], "np_i32": lambda M: [np.int32(1)] * 2,
    "np_f64": lambda M: [np.float64(1)] * 2, "np_bool": lambda M: [np.bool_(True)] * 2,
    "np_0d": lambda M: [np.array(1.0)] * 2, "np_arrays": lambda M: [np.zeros(2), np.ones(2)],
    "np_f32_arrays": lambda M: [np.zeros((2, 3), np.float32)] * 3, "strings": lambda M: ["a", "b"],
    "bytes": lambda M: [b"a", b"b"], "tuples": lambda M: [(1, "a"), (2, "b")],
    "lists": lambda M: [[1, 2.0], [3, 4.0]],
    "dicts": lambda M: [{"x": 1, "y": M.zeros(2)}] * 2,
    "ordered": lambda M: [collections.OrderedDict(a=1, b=np.float32(2))] * 2,
    "namedtuples": lambda M: [NT(1, 2.0)] * 2,
    "tensors": lambda M: [M.tensor(1), M.tensor(2)],
    "tensor_rows": lambda M: [M.zeros(3, dtype=M.float64)] * 4,
    "tensor_and_label": lambda M: [(M.zeros(2), 1)] * 3,
    "nested": lambda M: [{"seq": [M.ones(2), 3], "meta": ("id", 1.5)}] * 2,
}


@needs_torch
@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_has_torchs_structure_and_dtypes(name, torch_f32):
    assert desc(default_collate(BATCHES[name](mg))) == \
        desc(tud.default_collate(BATCHES[name](torch)))


@needs_torch
@pytest.mark.parametrize("batch", [[None, None], [np.array(["a"]), np.array(["b"])], [object()],
                                   [[1, 2], [3]], []])
def test_default_collate_refuses_like_torch(batch):
    expected, _ = _error(lambda: tud.default_collate(batch))
    with pytest.raises(expected):
        default_collate(batch)


@needs_torch
def test_stacking_unequal_tensors_raises_torchs_error():
    expected, msg = _error(lambda: tud.default_collate([torch.zeros(2), torch.zeros(3)]))
    with pytest.raises(expected) as e:
        default_collate([mg.zeros(2), mg.zeros(3)])
    assert str(e.value) == msg


def test_collated_values_are_the_samples_stacked():
    rows = [mg.tensor([1.0, 2.0]), mg.tensor([3.0, 4.0])]
    assert default_collate(rows).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    out = default_collate([{"x": np.array([1, 2]), "y": 0.5}, {"x": np.array([3, 4]), "y": 1.5}])
    assert out["x"].tolist() == [[1, 2], [3, 4]] and out["y"].tolist() == [0.5, 1.5]


def test_collate_keeps_gradients_flowing_to_the_samples():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (default_collate([x, x * 2]) * mg.tensor([[1.0, 1.0], [1.0, 1.0]])).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@needs_torch
@pytest.mark.parametrize("data", [[1, 2], np.zeros(2), (np.zeros(2), "a"), {"a": np.zeros(2)},
                                  np.float32(1), 3, "s", NT(np.zeros(1), 2), [np.zeros(2)],
                                  np.array(["a"])])
def test_default_convert_matches_torch(data):
    assert desc(default_convert(data)) == desc(tud.default_convert(data))


# ----------------------------------------------------------------------------- DataLoader


@needs_torch
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_loader_length_and_batches_match_torch(n, batch_size, drop_last):
    data = [(i, float(i)) for i in range(n)]
    m = DataLoader(data, batch_size=batch_size, drop_last=drop_last)
    t = tud.DataLoader(data, batch_size=batch_size, drop_last=drop_last)
    assert len(m) == len(t)
    assert [desc(b) for b in m] == [desc(b) for b in t]
    assert [[x.tolist() for x in b] for b in m] == [[x.tolist() for x in b] for b in t]


@needs_torch
def test_loader_over_tensor_dataset_matches_torch(torch_f32):
    xs, ys = np.arange(20.0, dtype=np.float32).reshape(10, 2), np.arange(10)
    m = DataLoader(TensorDataset(mg.tensor(xs), mg.tensor(ys)), batch_size=4)
    t = tud.DataLoader(tud.TensorDataset(torch.tensor(xs), torch.tensor(ys)), batch_size=4)
    for bm, bt in zip(m, t, strict=True):
        assert desc(bm) == desc(bt)
        for a, b in zip(bm, bt):
            np.testing.assert_array_equal(np.asarray(a), b.numpy())


@needs_torch
def test_loader_without_batching_matches_torch():
    data = [np.ones(2) * i for i in range(3)]
    m, t = DataLoader(data, batch_size=None), tud.DataLoader(data, batch_size=None)
    assert len(m) == len(t) == 3
    assert [desc(b) for b in m] == [desc(b) for b in t]
    assert m.batch_sampler is None and m.collate_fn is default_convert
    bs = BatchSampler(SequentialSampler(data), 2, False)
    m, t = DataLoader(data, batch_sampler=bs), tud.DataLoader(data, batch_sampler=bs)
    assert len(m) == len(t) and [desc(b) for b in m] == [desc(b) for b in t]


LOADER_ERRORS = [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0, 1]], batch_size=2), dict(batch_sampler=[[0, 1]], shuffle=True),
    dict(batch_sampler=[[0, 1]], drop_last=True), dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_size=None, drop_last=True), dict(num_workers=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(timeout=-1), dict(batch_size=0), dict(batch_size=-1),
    dict(batch_size=2.5), dict(batch_size=True), dict(drop_last=1),
]


@needs_torch
@pytest.mark.parametrize("kwargs", LOADER_ERRORS, ids=lambda kw: ",".join(kw))
def test_conflicting_options_raise_torchs_errors(kwargs):
    expected, msg = _error(lambda: tud.DataLoader(list(range(10)), **kwargs))
    assert expected is not None
    with pytest.raises(expected) as e:
        DataLoader(list(range(10)), **kwargs)
    assert str(e.value) == msg


@needs_torch
def test_fixed_attributes_cannot_change_after_init():
    m, t = DataLoader(list(range(4)), batch_size=2), tud.DataLoader(list(range(4)), batch_size=2)
    for name in ("batch_size", "sampler", "drop_last", "dataset", "batch_sampler",
                 "num_workers", "collate_fn", "generator", "pin_memory"):
        expected, msg = _error(lambda n=name: setattr(t, n, getattr(t, n)))
        if expected is None:
            setattr(m, name, getattr(m, name))
        else:
            with pytest.raises(expected, match=msg):
                setattr(m, name, getattr(m, name))


def test_worker_options_run_in_process_with_the_same_batches():
    data = [(i, float(i)) for i in range(11)]
    plain = [[x.tolist() for x in b] for b in DataLoader(data, batch_size=3)]
    workers = DataLoader(data, batch_size=3, num_workers=2, prefetch_factor=4,
                         persistent_workers=True, pin_memory=True, timeout=5,
                         worker_init_fn=lambda i: pytest.fail("no workers are started"))
    assert [[x.tolist() for x in b] for b in workers] == plain
    assert get_worker_info() is None


def test_shuffle_gives_fresh_permutations_repeatable_under_seeds():
    data = list(range(20))

    def epochs(loader, k=3):
        return [sum((b.tolist() for b in loader), []) for _ in range(k)]

    mg.manual_seed(0)
    a = epochs(DataLoader(data, batch_size=6, shuffle=True))
    assert all(sorted(e) == data for e in a) and a[0] != a[1] and a[0] != data
    mg.manual_seed(0)
    assert epochs(DataLoader(data, batch_size=6, shuffle=True)) == a
    g = mg.Generator().manual_seed(5)
    b = epochs(DataLoader(data, batch_size=6, shuffle=True, generator=g))
    mg.manual_seed(99)  # the loader's own generator is all that matters
    g.manual_seed(5)
    assert epochs(DataLoader(data, batch_size=6, shuffle=True, generator=g)) == b


def test_shuffling_takes_one_draw_from_the_default_generator_per_epoch():
    def after(n):
        mg.manual_seed(3)
        list(DataLoader(list(range(n)), batch_size=4, shuffle=True))
        return mg.rand(1).item()

    assert after(10) == after(1000)  # later draws do not depend on the dataset's size


def _fast_and_slow(dataset, **kw):
    g1, g2 = mg.Generator().manual_seed(1), mg.Generator().manual_seed(1)
    fast = DataLoader(dataset, generator=g1, **kw)
    slow = DataLoader(dataset, generator=g2, collate_fn=lambda b: default_collate(b), **kw)
    return fast, slow


@pytest.mark.parametrize("wrap", ["plain", "split", "subset_of_subset"])
def test_tensor_dataset_fast_path_equals_stacking_samples(wrap):
    x = mg.tensor(np.arange(60.0).reshape(20, 3))
    y = mg.tensor(np.arange(20) % 3)
    ds = TensorDataset(x, y)
    if wrap == "split":
        ds = random_split(ds, [0.7, 0.3], generator=mg.Generator().manual_seed(0))[0]
    elif wrap == "subset_of_subset":
        ds = Subset(Subset(ds, list(range(19, -1, -1))), [0, 5, 5, 2, -1, 7])
    fast, slow = _fast_and_slow(ds, batch_size=4, shuffle=True, drop_last=False)
    for _ in range(2):
        for bf, bs in zip(fast, slow, strict=True):
            assert isinstance(bf, list) and len(bf) == 2
            for a, b in zip(bf, bs):
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_tensor_dataset_batches_carry_gradients_to_the_data():
    grads = []
    for fast in (True, False):
        x = mg.tensor(np.linspace(0, 1, 12).reshape(6, 2), requires_grad=True)
        ds = TensorDataset(x, mg.arange(6))
        kw = {} if fast else {"collate_fn": lambda b: default_collate(b)}
        for xb, yb in DataLoader(ds, batch_size=4, **kw):
            (xb * (yb.float() + 1).unsqueeze(1)).sum().backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_array_equal(*grads)
    assert grads[0][:, 0].tolist() == [1, 2, 3, 4, 5, 6]


# ----------------------------------------------------------------------------- iterable datasets


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class SizedStream(Stream):
    def __len__(self):
        return self.n


if torch is not None:
    class TStream(tud.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))


@needs_torch
@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=None), dict(batch_size=7)])
def test_iterable_datasets_batch_like_torch(kw):
    assert [desc(b) for b in DataLoader(Stream(7), **kw)] == \
        [desc(b) for b in tud.DataLoader(TStream(7), **kw)]


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[1]),
                                    dict(batch_sampler=[[1]])], ids=lambda kw: ",".join(kw))
def test_iterable_datasets_refuse_orderings_like_torch(kwargs):
    expected, msg = _error(lambda: tud.DataLoader(TStream(3), **kwargs))
    with pytest.raises(expected) as e:
        DataLoader(Stream(3), **kwargs)
    assert str(e.value) == msg
    DataLoader(Stream(3), shuffle=False)


def test_iterable_loader_length():
    with pytest.raises(TypeError):
        len(DataLoader(Stream(7), batch_size=3))
    assert len(DataLoader(SizedStream(7), batch_size=3)) == 3
    assert len(DataLoader(SizedStream(7), batch_size=3, drop_last=True)) == 2
    assert len(DataLoader(SizedStream(7), batch_size=None)) == 7


def test_chained_streams():
    assert list(Stream(3) + Stream(2)) == [0, 1, 2, 0, 1]
    assert isinstance(Stream(1) + Stream(1), ChainDataset)
    assert len(SizedStream(3) + SizedStream(4)) == 7
    with pytest.raises(AssertionError, match="IterableDataset"):
        list(ChainDataset([[1, 2]]))


# ----------------------------------------------------------------------------- datasets


@needs_torch
def test_datasets_index_like_torch(torch_f32):
    cases = [
        (lambda M, D: len(D.ConcatDataset([range(3), range(4)]))),
        (lambda M, D: D.ConcatDataset([range(3), range(4)])[3]),
        (lambda M, D: D.ConcatDataset([range(3), range(4)])[-1]),
        (lambda M, D: D.ConcatDataset([range(3), range(4)]).cumulative_sizes),
        (lambda M, D: D.Subset(range(10), [1, 3])[1]),
        (lambda M, D: len(D.Subset(range(10), [1, 3]))),
        (lambda M, D: len(D.TensorDataset(M.zeros(3, 2), M.zeros(3)))),
        (lambda M, D: desc(D.TensorDataset(M.zeros(3, 2), M.zeros(3))[1])),
        (lambda M, D: desc(D.TensorDataset(M.zeros(3, 2))[[0, 1]])),
        (lambda M, D: D.Subset(list(range(10)), [1, 3]).__getitems__([1, 0])),
    ]
    for case in cases:
        assert case(mg, mg.utils.data) == case(torch, tud)


@needs_torch
def test_dataset_errors_match_torch():
    cases = [
        lambda M, D: D.TensorDataset(M.zeros(3), M.zeros(4)),
        lambda M, D: D.ConcatDataset([]),
        lambda M, D: D.ConcatDataset([range(3), range(4)])[-8],
        lambda M, D: D.Dataset()[0],
        lambda M, D: len(D.Dataset()),
        lambda M, D: len(D.Sampler()),
        lambda M, D: iter(D.Sampler()),
    ]
    for case in cases:
        expected, _ = _error(lambda c=case: c(torch, tud))
        assert expected is not None
        with pytest.raises(expected):
            case(mg, mg.utils.data)
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Stream(2)])
    with pytest.raises(IndexError, match="out of range"):
        ConcatDataset([range(3), range(4)])[7]
    with pytest.raises(TypeError, match="not a Tensor"):
        TensorDataset(np.zeros(3))


def test_dataset_addition_concatenates():
    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 4

    both = Squares() + Squares()
    assert isinstance(both, ConcatDataset) and len(both) == 8
    assert [both[i] for i in range(8)] == [0, 1, 4, 9, 0, 1, 4, 9]
    assert default_collate([both[i] for i in (1, 2)]).tolist() == [1, 4]


# ----------------------------------------------------------------------------- random_split


@needs_torch
@given(n=st.integers(0, 60), weights=st.lists(st.integers(1, 9), min_size=1, max_size=5))
def test_random_split_fraction_sizes_match_torch(n, weights):
    fractions = [w / sum(weights) for w in weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Length of split at index i is 0"
        expected, msg = _error(lambda: tud.random_split(range(n), fractions))
        if expected is not None:
            with pytest.raises(expected):
                random_split(range(n), fractions)
            return
        got = [len(s) for s in random_split(range(n), fractions)]
        assert got == [len(s) for s in tud.random_split(range(n), fractions)]


@needs_torch
@pytest.mark.parametrize("lengths", [[0.3, 0.7], [0.33, 0.33, 0.34], [0.25] * 4, [1.0], [3, 7],
                                     (5, 5), [0.1, 0.1, 0.8], [0.3, 0.7, 0.0], [10, 0]])
def test_random_split_sizes_match_torch(lengths):
    for n in (3, 10, 11):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            expected, msg = _error(lambda k=n: tud.random_split(range(k), lengths))
            if expected is not None:
                with pytest.raises(expected, match="Sum of input lengths"):
                    random_split(range(n), lengths)
                continue
            assert [len(s) for s in random_split(range(n), lengths)] == \
                [len(s) for s in tud.random_split(range(n), lengths)]


def test_random_split_partitions_and_repeats_with_a_generator():
    parts = random_split(range(23), [0.5, 0.3, 0.2], generator=mg.Generator().manual_seed(4))
    items = sorted(x for p in parts for x in p)
    assert items == list(range(23))
    assert all(isinstance(p, Subset) for p in parts)
    again = random_split(range(23), [0.5, 0.3, 0.2], generator=mg.Generator().manual_seed(4))
    assert [p.indices for p in parts] == [p.indices for p in again]
    assert all(type(i) is int for i in parts[0].indices)
    mg.manual_seed(8)
    a = random_split(range(23), [20, 3])
    mg.manual_seed(8)
    assert [p.indices for p in a] == [p.indices for p in random_split(range(23), [20, 3])]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 6])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [0.5, 0.4])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    # torch accepts these and returns overlapping, broken subsets; minigrad refuses them
    with pytest.raises(ValueError, match="non-negative ints"):
        random_split(range(10), [-1, 11])
    with pytest.raises(ValueError, match="non-negative ints"):
        random_split(range(10), [5.0, 5.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(3), [0.1, 0.1, 0.8])


# ----------------------------------------------------------------------------- samplers


@needs_torch
@pytest.mark.parametrize("bs,drop", [(3, False), (3, True), (1, False), (10, True), (11, False)])
def test_batch_sampler_matches_torch(bs, drop):
    m, t = BatchSampler(range(10), bs, drop), tud.BatchSampler(range(10), bs, drop)
    assert list(m) == list(t) and len(m) == len(t)


@needs_torch
@pytest.mark.parametrize("make", [
    lambda D: D.BatchSampler(range(10), 0, False), lambda D: D.BatchSampler(range(10), 3, "x"),
    lambda D: D.BatchSampler(range(10), True, False),
    lambda D: D.RandomSampler(range(10), replacement=1),
    lambda D: D.RandomSampler(range(10), num_samples=0),
    lambda D: D.RandomSampler(range(10), num_samples=2.0), lambda D: D.RandomSampler([]),
    lambda D: D.WeightedRandomSampler([0.1, 0.9], 0),
    lambda D: D.WeightedRandomSampler([[0.1, 0.9]], 5),
    lambda D: D.WeightedRandomSampler([0.1, 0.9], 5, replacement=2),
    lambda D: list(D.WeightedRandomSampler([1., 1.], 3, replacement=False)),
    lambda D: list(D.WeightedRandomSampler([0., 0.], 1)),
])
def test_sampler_errors_match_torch(make):
    expected, _ = _error(lambda: make(tud))
    assert expected is not None
    with pytest.raises(expected):
        make(mg.utils.data)


@needs_torch
@pytest.mark.parametrize("kw", [dict(), dict(num_samples=25), dict(num_samples=4),
                                dict(replacement=True, num_samples=7), dict(replacement=True)])
def test_random_sampler_lengths_match_torch(kw):
    m, t = RandomSampler(range(10), **kw), tud.RandomSampler(range(10), **kw)
    drawn = list(m)
    assert len(m) == len(t) == len(drawn) == len(list(t))
    assert all(type(i) is int and 0 <= i < 10 for i in drawn)
    if not kw.get("replacement"):
        for start in range(0, len(drawn), 10):  # whole permutations, the last one cut
            chunk = drawn[start:start + 10]
            assert len(set(chunk)) == len(chunk)


def test_sequential_subset_and_weighted_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2] and len(SequentialSampler([1])) == 1
    s = SubsetRandomSampler([5, 6, 7], generator=mg.Generator().manual_seed(0))
    assert sorted(s) == [5, 6, 7] and len(s) == 3
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0], 50, generator=mg.Generator()))
    assert w == [1] * 50
    picks = list(WeightedRandomSampler([1.0, 3.0], 4000, generator=mg.Generator().manual_seed(2)))
    assert abs(np.mean(picks) - 0.75) < 0.03
    assert sorted(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False)) == [0, 1, 2]


def test_a_custom_sampler_drives_the_loader():
    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    loader = DataLoader(list(range(9)), batch_size=2, sampler=Evens(9))
    assert [b.tolist() for b in loader] == [[0, 2], [4, 6], [8]] and len(loader) == 3


# ----------------------------------------------------------------------------- the alias


def test_torch_alias_reaches_the_data_package():
    import minigrad as alias

    assert alias.utils.data.DataLoader is DataLoader
    assert alias.utils.data.TensorDataset is TensorDataset
    from minigrad.utils.data.dataloader import DataLoader as Deep
    from minigrad.utils.data.dataset import Dataset as DeepDataset
    from minigrad.utils.data.sampler import RandomSampler as DeepSampler

    assert Deep is DataLoader and DeepDataset is Dataset and DeepSampler is RandomSampler


def test_a_small_regression_trains_through_the_loader():
    mg.manual_seed(0)
    x = mg.randn(64, 3)
    y = x @ mg.tensor([[1.0], [-2.0], [0.5]])
    train, val = random_split(TensorDataset(x, y), [0.75, 0.25],
                              generator=mg.Generator().manual_seed(0))
    from minigrad import optim

    w = mg.zeros(3, 1, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    for _ in range(30):
        for xb, yb in DataLoader(train, batch_size=16, shuffle=True):
            opt.zero_grad()
            ((xb @ w - yb) ** 2).mean().backward()
            opt.step()
    xv, yv = next(iter(DataLoader(val, batch_size=len(val))))
    assert ((xv @ w - yv) ** 2).mean().item() < 1e-3
