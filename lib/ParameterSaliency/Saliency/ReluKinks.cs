using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Watches every <c>nn.ReLU</c> module of a model during one forward pass and finds the images whose profile
/// s(x, y) float32 may not settle (<see cref="SettlingCheck"/> then asks a float64 forward which of them it got wrong): a ReLU input within rounding of zero (|x| ≤ <see cref="RoundingBand"/> · the
/// largest |x| of that image's tensor) where the gradient those entries carry could move the row by more than
/// <see cref="FlipBudget"/> if float32 put them on the wrong side. Whether such an input passes the ReLU is decided by the summation order of
/// the kernels that computed it, so every float32 implementation (ours, PyTorch's, any CPU's) gets the mask of
/// that entry right or wrong by luck, and a wrong mask moves the gradient of every layer below it. Measured on
/// the default model: test image 141's <c>layer3.1.bn1</c> output [22, 2, 4] is 7.8e-8 in float64 (the
/// tensor's largest |x| is 1.23); oneDNN's AVX-512 forward gave −7.1e-10 in a batch of two (mask 0), the
/// native kernel of a batch of one 1.9e-7 (mask 1); the gradient there is 0.10 (the largest 0.25), and the
/// wrong mask moved 141's profile by 1.2e-2 (one filter by 12%).
/// </summary>
internal sealed class ReluKinks : IDisposable
{
    /// <summary>
    /// A ReLU input this close to zero, relative to the largest |x| of its image's tensor, may be on the wrong side of
    /// it. float32's forward error at the default model's ReLU inputs, against a float64 forward over the first 1,024
    /// test images, was at most 2.3e-7..1.0e-6 of that largest value per layer under the cap ALL and up to 1.5e-6
    /// under AVX2.
    /// </summary>
    public const double RoundingBand = 2e-6;

    /// <summary>
    /// An image is a candidate when the gradient shares of its entries in the band add up to more than this: each entry's
    /// |∂L/∂out| over the sum of |∂L/∂out| of its image's channel (of its features, for a 2-D output). A wrong mask at an
    /// entry moves the image's row by at most about that share: every entry of the first 1,024 test images of the default
    /// model that lies in the band and carries a gradient (995 entries on 640 images) was flipped alone under float64's
    /// other masks, and moved its row (relative L1) by at most 0.93 times its share (beside float32's rounding of the row,
    /// about 1e-6), 0.08-0.26 times in the deepest calls (the benchmark's <c>--guard-gate</c>; whether float32 flips an
    /// entry depends on the processor's kernels, what the flip does does not). So the rows of the images this leaves
    /// unchecked are within about 2.5e-4 of float64 even if every one of their entries in the band were on the wrong side
    /// (measured: 4.5e-5 at most). The gate this replaces, a share of at least 0.002 per entry, checked 366 of those images
    /// and left entries whose flip moves a row by 1.25e-3, beyond the 1e-3 every row is held to.
    /// </summary>
    public const double FlipBudget = 2.5e-4;

    /// <summary>One ReLU call of the pass: its input entries in the rounding band (image, offset in the image, let through), and its output (kept only when there are such entries, for their gradients).</summary>
    sealed record Call(long[] Shape, (int Image, long Offset, bool Open)[] Near, Tensor? Output);

    readonly List<Call> calls = [];
    readonly List<IDisposable> removers = [];

    ReluKinks(nn.Module model)
    {
        foreach (var relu in ReluModules(model))
        {
            (int, long, bool)[] near = [];
            removers.Add(new Remover(relu.register_forward_pre_hook((_, x) =>
            {
                near = NearZero(x);
                return x;
            }).remove));
            removers.Add(new Remover(relu.register_forward_hook((_, _, output) =>
            {
                calls.Add(new Call(output.shape, near, near.Length == 0 ? null : output.alias().DetachFromDisposeScope()));
                near = [];
                return output;
            }).remove));
        }
    }

    /// <summary>
    /// The entries of <paramref name="input"/> [N, ...] with |x| ≤ <see cref="RoundingBand"/> · the largest |x| of their image,
    /// read in place: two sweeps per image in C#, where tensor operations would make and sweep several full-size tensors
    /// (on the default model they cost as much as the rest of the check).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static (int Image, long Offset, bool Open)[] NearZero(Tensor input)
    {
        using var scope = NewDisposeScope();
        var host = HostValues.Of(input, ScalarType.Float32);
        var values = HostValues.Floats(host);
        int images = (int)input.shape[0];
        int perImage = images == 0 ? 0 : values.Length / images;
        var near = new List<(int, long, bool)>();
        for (int image = 0; image < images; image++)
        {
            var own = values.Slice(image * perImage, perImage);
            float band = (float)(LargestMagnitude(own) * RoundingBand);
            var threshold = new Vector<float>(band);
            int width = Vector<float>.Count, i = 0;
            for (; i + width <= own.Length; i += width)
                if (Vector.LessThanOrEqualAny(Vector.Abs(new Vector<float>(own.Slice(i, width))), threshold))
                    for (int j = i; j < i + width; j++)
                        if (Math.Abs(own[j]) <= band) near.Add((image, j, own[j] > 0));
            for (; i < own.Length; i++)
                if (Math.Abs(own[i]) <= band) near.Add((image, i, own[i] > 0));
        }
        return near.ToArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float LargestMagnitude(ReadOnlySpan<float> values)
    {
        var largest = Vector<float>.Zero;
        int width = Vector<float>.Count, i = 0;
        for (; i + width <= values.Length; i += width)
            largest = Vector.Max(largest, Vector.Abs(new Vector<float>(values.Slice(i, width))));
        float result = 0;
        for (int lane = 0; lane < width; lane++) result = Math.Max(result, largest[lane]);
        for (; i < values.Length; i++) result = Math.Max(result, Math.Abs(values[i]));
        return result;
    }

    /// <summary>
    /// Starts watching the ReLU modules of <paramref name="model"/> for a pass over <paramref name="images"/> when
    /// <paramref name="check"/> is given and the pass runs in float32 (a float64 pass is its own reference); dispose after
    /// the backward.
    /// </summary>
    public static ReluKinks? Watch(nn.Module model, Tensor images, SettlingCheck? check) =>
        check is not null && images.dtype != ScalarType.Float64 ? new ReluKinks(model) : null;

    /// <summary>The model's ReLU modules, in the order <c>named_modules</c> lists them (functional ReLUs cannot be seen).</summary>
    public static IEnumerable<ReLU> ReluModules(nn.Module model) => model.named_modules().Select(m => m.module).OfType<ReLU>();

    /// <summary>The ReLU outputs of the pass whose gradients <see cref="Candidates"/> needs (in this order): those of the calls with an input in the rounding band.</summary>
    public Tensor[] Outputs => calls.Where(c => c.Output is not null).Select(c => c.Output!).ToArray();

    /// <summary>
    /// The images (rows of the pass) whose ReLU inputs in the rounding band carry gradient shares adding up to more than
    /// <see cref="FlipBudget"/>, and every such input of theirs with a gradient, from ∂L/∂out of each of <see cref="Outputs"/>
    /// (null or undefined: unused). An input's share is its |∂L/∂out| over the sum over its image's channel (its image's
    /// features, for a 2-D output). Whether float32 let it through is read from the input itself: the ReLU passes exactly its
    /// positive inputs.
    /// </summary>
    public KinkCandidates Candidates(IReadOnlyList<Tensor?> outputGradients)
    {
        using var scope = NewDisposeScope();
        var entries = new List<(int Call, int Image, long Offset, bool Open)>();
        var shares = new Dictionary<int, double>(); // image → the sum of its entries' shares
        long[] valuesPerImage = calls.Select(c => c.Shape.Skip(1).Aggregate(1L, (a, b) => a * b)).ToArray();
        int watched = 0;
        for (int call = 0; call < calls.Count; call++)
        {
            if (calls[call].Output is null) continue;
            var gradient = outputGradients[watched++];
            if (gradient is null || !LoopEngine.IsDefined(gradient)) continue;
            var host = HostValues.Of(gradient, ScalarType.Float32);
            var values = HostValues.Floats(host);
            long[] shape = calls[call].Shape;
            long perImage = valuesPerImage[call];
            long group = shape.Length > 2 ? shape.Skip(2).Aggregate(1L, (a, b) => a * b) : perImage;
            var totals = new Dictionary<long, double>();
            foreach (var (image, offset, open) in calls[call].Near)
            {
                double magnitude = Math.Abs(values[(int)(image * perImage + offset)]);
                if (magnitude == 0) continue;
                long first = image * perImage + offset / group * group;
                if (!totals.TryGetValue(first, out double total))
                {
                    foreach (float value in values.Slice((int)first, (int)group)) total += Math.Abs(value);
                    totals[first] = total;
                }
                shares[image] = shares.GetValueOrDefault(image) + magnitude / total;
                entries.Add((call, image, offset, open));
            }
        }
        long[] images = shares.Where(pair => pair.Value > FlipBudget).Select(pair => (long)pair.Key).Order().ToArray();
        if (images.Length == 0) return KinkCandidates.None(valuesPerImage);
        var slot = images.Select((image, i) => (image, i)).ToDictionary(p => (int)p.image, p => p.i);
        return new KinkCandidates(images, entries.Where(e => slot.ContainsKey(e.Image)).Select(e => new KinkEntry(e.Call, slot[e.Image], e.Offset, e.Open)).ToArray(),
                                  valuesPerImage, images.Select(image => shares[(int)image]).ToArray());
    }

    /// <summary>Removes the hooks and frees what they kept.</summary>
    public void Dispose()
    {
        foreach (var remover in removers) remover.Dispose();
        foreach (var call in calls) call.Output?.Dispose();
        calls.Clear();
    }

    internal sealed class Remover(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
