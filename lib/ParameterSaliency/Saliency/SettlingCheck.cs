using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// The rows of one profiling call that float32 did not settle. The engines hand it each pass's
/// <see cref="ReluKinks"/>: images with a ReLU input in the rounding band that carries a gradient are candidates; a
/// float64 forward of the candidates by the model's twin (<see cref="ExactReference"/>) tells which ReLU masks float32
/// actually got wrong (<see cref="Wrong"/>), and those images' rows are recomputed under float64's ReLU masks by
/// <see cref="SaliencyProfiler"/>. Without a twin, or under <see cref="KinkGuard.Flag"/>, a candidate is <see cref="Unverified"/>: kept in float32 and reported. A check given a mask budget keeps the float64 masks of the wrong rows that
/// forward gave (up to that many bytes), so that recomputing them needs no second float64 forward.
/// </summary>
internal sealed class SettlingCheck(Func<Float64Twin?> twin, long maskBudgetBytes = 0) : IDisposable
{
    /// <summary>
    /// The profiler's mask budget: most bytes of float64 masks kept for the wrong rows of one call (one byte per ReLU
    /// input). ResNet-50 at 3x224x224 has about 9 MB of them an image, and with random weights half of its images are
    /// wrong. Rows beyond it are run through the twin again when they are settled.
    /// </summary>
    public const long MaskBudgetBytes = 256L << 20;

    readonly Dictionary<int, Tensor[]> masks = [];
    long maskBytes;

    /// <summary>Whether candidates are checked against a float64 forward (<see cref="KinkGuard.Exact"/>, the default) or only flagged.</summary>
    public KinkGuard Guard { get; init; } = KinkGuard.Exact;

    /// <summary>Rows (of the whole call, ascending) whose float32 masks a float64 forward proved wrong: to be recomputed under float64's masks.</summary>
    public SortedSet<int> Wrong { get; } = [];

    /// <summary>
    /// Rows (of the whole call, ascending) that were candidates when nothing checked them (no twin, or <see cref="KinkGuard.Flag"/>),
    /// each with how far it could be from float64 (row-relative L1): the sum of its inputs' gradient shares. Kept in float32 and reported.
    /// </summary>
    public SortedDictionary<int, double> Unverified { get; } = [];

    /// <summary>The rows float32 did not settle: <see cref="Wrong"/> and <see cref="Unverified"/>.</summary>
    public IEnumerable<int> Unsettled => Wrong.Concat(Unverified.Keys);

    /// <summary>How many images were candidates (checked against a float64 forward when there is a twin).</summary>
    public int Candidates { get; private set; }

    /// <summary>A check for a computation that may be discarded (the loop beside the batched engine on the first batch); dispose it.</summary>
    public SettlingCheck Sibling() => new(twin, maskBudgetBytes) { Guard = Guard };

    /// <summary>A check with the same mask budget that asks <paramref name="otherTwin"/> (the twin of a replica of the model, for a pass that runs on it: <see cref="ProfileLanes"/>); dispose it.</summary>
    public SettlingCheck Sibling(Func<Float64Twin?> otherTwin) => new(otherTwin, maskBudgetBytes) { Guard = Guard };

    /// <summary>Adds the findings of <paramref name="sibling"/> (see <see cref="Sibling()"/>) to its own, and takes over its kept masks.</summary>
    public void Include(SettlingCheck sibling)
    {
        Wrong.UnionWith(sibling.Wrong);
        foreach (var (row, bound) in sibling.Unverified) Unverified[row] = bound;
        Candidates += sibling.Candidates;
        foreach (var (row, open) in sibling.masks) Keep(row, open);
        sibling.masks.Clear();
        sibling.maskBytes = 0;
    }

    /// <summary>Judges one pass over <paramref name="images"/> (the rows <paramref name="firstRow"/> onwards of the call) from its ReLUs and their output gradients.</summary>
    public void Add(ReluKinks kinks, IReadOnlyList<Tensor?> reluOutputGradients, Tensor images, int firstRow)
    {
        using var scope = NewDisposeScope();
        var found = kinks.Candidates(reluOutputGradients);
        long[] candidates = found.Images;
        if (candidates.Length == 0) return;
        Candidates += candidates.Length;
        var exact = Guard == KinkGuard.Exact ? twin() : null;
        if (exact is null)
        {
            for (int slot = 0; slot < candidates.Length; slot++) Unverified[firstRow + (int)candidates[slot]] = found.Shares[slot];
            return;
        }
        var wrong = exact.MasksDiffer(images.index_select(0, tensor(candidates, device: images.device)), found,
                                      maskBudgetBytes > 0 ? (slot, open) => Keep(firstRow + (int)candidates[slot], open) : null);
        Wrong.UnionWith(wrong.Select(slot => firstRow + (int)candidates[slot]));
    }

    /// <summary>
    /// The float64 masks (x &gt; 0 of every ReLU call, [1, ...] each) kept for <paramref name="row"/>, handed over to the
    /// caller (who disposes them), or null when none were kept.
    /// </summary>
    public Tensor[]? TakeMasks(int row)
    {
        if (!masks.Remove(row, out var open)) return null;
        maskBytes -= Bytes(open);
        return open;
    }

    void Keep(int row, Tensor[] open)
    {
        long bytes = Bytes(open);
        if (maskBytes + bytes > maskBudgetBytes || masks.ContainsKey(row))
        {
            foreach (var mask in open) mask.Dispose();
            return;
        }
        masks[row] = open;
        maskBytes += bytes;
    }

    static long Bytes(Tensor[] open) => open.Sum(mask => mask.numel()); // bool: one byte each

    /// <summary>Frees the masks nobody took.</summary>
    public void Dispose()
    {
        foreach (var mask in masks.Values.SelectMany(open => open)) mask.Dispose();
        masks.Clear();
        maskBytes = 0;
    }
}
