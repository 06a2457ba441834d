using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// The rows of one profiling call that float32 did not settle. The engines hand it each pass's
/// <see cref="ReluKinks"/>: images with a ReLU input in the rounding band that carries a gradient are candidates; a
/// float64 forward of the candidates by the model's twin (<see cref="ExactReference"/>) tells which ReLU masks float32
/// actually got wrong, and those images' rows are recomputed under float64's ReLU masks by <see cref="SaliencyProfiler"/>. Without a
/// twin every candidate is reported unsettled.
/// </summary>
internal sealed class SettlingCheck(Func<Float64Twin?> twin)
{
    /// <summary>Rows (of the whole call) whose float32 masks differ from float64's, or, without a twin, every candidate.</summary>
    public List<int> Rows { get; } = [];

    /// <summary>How many images were candidates (checked against a float64 forward when there is a twin).</summary>
    public int Candidates { get; private set; }

    /// <summary>A check for a computation that may be discarded (the loop beside the batched engine on the first batch).</summary>
    public SettlingCheck Sibling() => new(twin);

    /// <summary>Adds the findings of <paramref name="sibling"/> (see <see cref="Sibling"/>) to its own.</summary>
    public void Include(SettlingCheck sibling)
    {
        Rows.AddRange(sibling.Rows);
        Candidates += sibling.Candidates;
    }

    /// <summary>Judges one pass over <paramref name="images"/> (the rows <paramref name="firstRow"/> onwards of the call) from its ReLUs and their output gradients.</summary>
    public void Add(ReluKinks kinks, IReadOnlyList<Tensor?> reluOutputGradients, Tensor images, int firstRow)
    {
        using var scope = NewDisposeScope();
        var found = kinks.Candidates(reluOutputGradients);
        long[] candidates = found.Images;
        if (candidates.Length == 0) return;
        Candidates += candidates.Length;
        var exact = twin();
        long[] wrong = exact is null ? candidates : exact.MasksDiffer(images.index_select(0, tensor(candidates, device: images.device)), found).Select(slot => candidates[slot]).ToArray();
        Rows.AddRange(wrong.Select(row => firstRow + (int)row));
    }
}
