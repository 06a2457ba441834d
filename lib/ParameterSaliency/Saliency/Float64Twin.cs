using TorchSharp;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Saliency;

/// <summary>A float64 instance of a model's architecture with the model's weights (copied in before its first use after <see cref="Invalidate"/>): it tells which ReLU masks a float32 pass got wrong, gives float64's masks to pin a float32 pass to (<see cref="PinnedRelus"/>), and gives float64 profiles that stay differentiable for batched heatmaps.</summary>
internal sealed class Float64Twin(nn.Module<Tensor, Tensor> model, ProfileLayout layout, Func<nn.Module<Tensor, Tensor>> build) : IDisposable
{
    nn.Module<Tensor, Tensor>? twin;
    BatchedEngine? batched;
    bool current;

    /// <summary>The twin of <paramref name="model"/> when one can be built, else null.</summary>
    public static Float64Twin? For(nn.Module<Tensor, Tensor> model, ProfileLayout layout) =>
        ExactReference.BuilderOf(model) is { } build ? new Float64Twin(model, layout, build) : null;

    /// <summary>Marks the twin's weights stale: its next use copies the model's in again (call whenever the model may have changed).</summary>
    public void Invalidate() => current = false;

    /// <summary>
    /// Float64 profiles [n, F] that stay differentiable with respect to <paramref name="images"/> (float32, requiring
    /// grad: the graph runs through their conversion to float64), by the twin's batched engine.
    /// </summary>
    public Tensor Differentiable(Tensor images, Tensor labels)
    {
        EnsureCurrent();
        return (batched ?? throw new InvalidOperationException("The float64 twin has no batched engine: it builds another architecture than the model."))
            .Differentiable(images.to(ScalarType.Float64), labels);
    }

    /// <summary>
    /// Which of <paramref name="images"/> (float32, as the model saw them: the candidates' images, in the order of
    /// <see cref="KinkCandidates.Images"/>) have a candidate ReLU input that float32 let through and float64 does not, or
    /// the reverse: a float64 forward without a graph, reading only the candidates' entries. The images go through it in
    /// the order of their deepest candidate ReLU call, and each chunk's forward stops after the deepest call its images have
    /// a candidate at (the candidates' deepest calls spread evenly over the default model's 17), unless that is the model's
    /// last ReLU call: then it runs to the end, where the twin's ReLU calls are counted against the model's. When
    /// <paramref name="keepWrong"/> is given it receives, for each such image (by its slot), what
    /// <see cref="OpenMasks"/> would give for it alone: the same forward's x &gt; 0 of every ReLU call, [1, ...] each (the
    /// receiver disposes them), so that the image need not be run through the twin again to be settled; a chunk with such an
    /// image runs to the end.
    /// </summary>
    public long[] MasksDiffer(Tensor images, KinkCandidates candidates, Action<long, Tensor[]>? keepWrong = null)
    {
        int count = (int)images.shape[0];
        var deepest = new int[count];
        foreach (var entry in candidates.Entries) deepest[entry.Slot] = Math.Max(deepest[entry.Slot], entry.Call);
        long[] order = Enumerable.Range(0, count).OrderBy(slot => deepest[slot]).ThenBy(slot => slot).Select(slot => (long)slot).ToArray();
        var position = new long[count];
        for (int i = 0; i < count; i++) position[order[i]] = i;
        var byCall = candidates.Entries.ToLookup(entry => entry.Call);
        var differ = new bool[count];
        var chunkMasks = new List<Tensor>();
        void FreeChunkMasks()
        {
            foreach (var mask in chunkMasks) mask.Dispose();
            chunkMasks.Clear();
        }
        try
        {
            using var scope = NewDisposeScope();
            var ordered = images.index_select(0, tensor(order, device: images.device));
            Forward(ordered, candidates.ValuesPerImage.Length, (call, first, x) =>
            {
                if (x.numel() != x.shape[0] * candidates.ValuesPerImage[call])
                    throw new InvalidOperationException($"The float64 twin's ReLU call {call + 1} has input [{string.Join(", ", x.shape)}], unlike the model's: the builder given to ExactReference.Register builds another architecture.");
                if (keepWrong is not null) chunkMasks.Add(x.gt(Zero).DetachFromDisposeScope()); // the model's own scopes would free it before the chunk ends
                long end = first + x.shape[0];
                var entries = byCall[call].Where(entry => position[entry.Slot] >= first && position[entry.Slot] < end).ToArray();
                if (entries.Length > 0)
                {
                    using var callScope = NewDisposeScope();
                    var values = HostValues.Doubles(HostValues.Of(x, ScalarType.Float64));
                    foreach (var entry in entries)
                        if (values[(int)((position[entry.Slot] - first) * candidates.ValuesPerImage[call] + entry.Offset)] > 0 != entry.Open) differ[entry.Slot] = true;
                }
                bool keeping = keepWrong is not null && Enumerable.Range((int)first, (int)(end - first)).Any(at => differ[order[at]]);
                int chunkDeepest = deepest[order[end - 1]]; // the chunk's last image has its deepest call
                return keeping || call < chunkDeepest || chunkDeepest == candidates.ValuesPerImage.Length - 1; // to the end: the twin's ReLU calls are counted
            }, chunkDone: (first, size) =>
            {
                if (keepWrong is not null)
                    for (long at = first; at < first + size; at++)
                        if (differ[order[at]]) keepWrong(order[at], chunkMasks.Select(mask => mask.narrow(0, at - first, 1).clone().DetachFromDisposeScope()).ToArray());
                FreeChunkMasks();
            });
        }
        finally
        {
            FreeChunkMasks();
        }
        return Enumerable.Range(0, count).Where(slot => differ[slot]).Select(slot => (long)slot).ToArray();
    }

    /// <summary>
    /// Which inputs every ReLU call of a float64 forward of <paramref name="images"/> lets through (x &gt; 0, one tensor
    /// per call in the order the model's ReLUs run), by the twin without a graph. The caller disposes them.
    /// </summary>
    public List<Tensor> OpenMasks(Tensor images)
    {
        var chunks = new List<List<Tensor>>();
        try
        {
            Forward(images, expectedCalls: null, (call, first, x) =>
            {
                if (call == 0) chunks.Add([]);
                chunks[^1].Add(x.gt(Zero).DetachFromDisposeScope());
                return true;
            });
            return Enumerable.Range(0, chunks[0].Count).Select(call => chunks.Count == 1 ? chunks[0][call].alias() : cat(chunks.Select(chunk => chunk[call]).ToArray(), 0)).ToList();
        }
        finally
        {
            foreach (var mask in chunks.SelectMany(chunk => chunk)) mask.Dispose();
        }
    }

    /// <summary>
    /// Images per float64 forward: libtorch has no oneDNN kernels for float64, and its own ran 1.7x faster per image in chunks
    /// of 16 than of 64 (default model, 2 cores: 620-755 against 370-400 img/s; chunks of 4: 570-700, 8: 600-825, 32: 590-775).
    /// Chunks of 8 group the candidates more finely by their deepest call (<see cref="MasksDiffer"/> stops each chunk there):
    /// over 2,048 test images the check took 0.93-1.06 s against 0.97-1.01 s in chunks of 16 (1.27-1.36 s running every chunk
    /// to the end).
    /// </summary>
    internal const int ForwardChunk = 8;

    /// <summary>How many ReLU calls the twin's forwards have made, over all uses (the tests see forwards stop early).</summary>
    internal long ReluCallsRun { get; private set; }

    /// <summary>
    /// A float64 forward of <paramref name="images"/> through the twin without a graph, <see cref="ForwardChunk"/> images at a
    /// time, handing <paramref name="visit"/> each ReLU call's input with the call's index and the chunk's first image; when it
    /// returns false the chunk's forward ends there. When <paramref name="expectedCalls"/> is given, the twin must make that
    /// many ReLU calls per chunk it runs to the end. <paramref name="chunkDone"/> is called with each chunk's first image and
    /// size after its forward, while what the visits made in it still lives.
    /// </summary>
    void Forward(Tensor images, int? expectedCalls, Func<int, long, Tensor, bool> visit, Action<long, long>? chunkDone = null)
    {
        EnsureCurrent();
        int call = 0;
        long first = 0;
        var removers = ReluKinks.ReluModules(twin!).Select(relu => new ReluKinks.Remover(relu.register_forward_pre_hook((_, x) =>
        {
            if (call >= expectedCalls)
                throw new InvalidOperationException($"The float64 twin ran more ReLUs than the model's {expectedCalls}: the builder given to ExactReference.Register builds another architecture.");
            ReluCallsRun++;
            if (!visit(call++, first, x)) throw new ForwardEnded();
            return x;
        }).remove)).ToArray();
        try
        {
            for (; first < images.shape[0]; first += ForwardChunk)
            {
                using var scope = NewDisposeScope();
                call = 0;
                long size = Math.Min(ForwardChunk, images.shape[0] - first);
                try
                {
                    using (no_grad()) twin!.call(images.narrow(0, first, size).to(ScalarType.Float64)).Dispose();
                    if (expectedCalls is { } expected && call != expected)
                        throw new InvalidOperationException($"The float64 twin ran {call} ReLUs where the model ran {expected}: the builder given to ExactReference.Register builds another architecture.");
                }
                catch (ForwardEnded)
                {
                }
                chunkDone?.Invoke(first, size);
            }
        }
        finally
        {
            foreach (var remover in removers) remover.Dispose();
        }
    }

    /// <summary>Ends a chunk's forward from inside a ReLU hook once nothing after it is needed (thrown and caught in managed code only: the modules' forwards are C#).</summary>
    sealed class ForwardEnded : Exception;

    /// <summary>Builds the twin on first use and copies the model's current weights and buffers into it (float64, eval mode) unless they are current.</summary>
    void EnsureCurrent()
    {
        if (current) return;
        if (twin is null)
        {
            twin = ExactReference.NewInstance(model, build, ScalarType.Float64);
            batched = BatchedEngine.TryCreate(twin, layout, out _);
        }
        ExactReference.CopyState(model, twin, "float64 twin");
        current = true;
    }

    public void Dispose() => twin?.Dispose();
}
