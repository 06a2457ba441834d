using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Tests;

/// <summary>
/// The float64 twin's forward runs in chunks of a few images, and stops where nothing after is needed: the masks it gives, the wrong masks it finds and the masks it
/// keeps for the wrong images must not depend on that. All are held against one float64 forward of all the images at once through a float64 copy of the
/// model (hooks on its ReLUs), over 43 images (chunks of 8, the last a partial one), and a twin that builds another
/// architecture must be refused with a message, not read out of range.
/// </summary>
public class Float64TwinTests(Float64TwinTests.FirstImagesForward first) : IClassFixture<Float64TwinTests.FirstImagesForward>
{
    const int Count = 43;

    /// <summary>The default model, its float64 twin, the first <see cref="Count"/> test images and one float64 forward's masks of them, shared by the tests that need them.</summary>
    public sealed class FirstImagesForward : IDisposable
    {
        readonly SavedModel saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);

        public FirstImagesForward()
        {
            saved.Model.eval();
            Twin = Float64Twin.For(saved.Model, ProfileLayout.For(saved.Model, Aggregation.FilterWise))!;
            Images = SharedData.TestSplit.Images.narrow(0, 0, Count);
            Open = OneForward(saved.Model, Images);
        }

        internal Float64Twin Twin { get; }
        public Tensor Images { get; }
        /// <summary>x &gt; 0 of every ReLU call of one float64 forward of <see cref="Images"/>, in call order.</summary>
        public List<Tensor> Open { get; }

        public void Dispose()
        {
            foreach (var mask in Open) mask.Dispose();
            Twin.Dispose();
            saved.Dispose();
        }
    }

    /// <summary>x &gt; 0 of every ReLU call of one float64 forward of <paramref name="images"/>, in call order.</summary>
    static List<Tensor> OneForward(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        var copy = ExactReference.BuilderOf(model)!();
        copy.to(ScalarType.Float64);
        using (no_grad())
            foreach (var (name, value) in model.state_dict()) copy.state_dict()[name].copy_(value);
        copy.eval();
        var open = new List<Tensor>();
        var hooks = ReluKinks.ReluModules(copy).Select(relu => relu.register_forward_pre_hook((_, x) => { open.Add(x.gt(Zero).DetachFromDisposeScope()); return x; })).ToArray();
        using (no_grad()) copy.call(images.to(ScalarType.Float64));
        foreach (var hook in hooks) hook.remove();
        return open;
    }

    static void AssertSameMasks(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.eq(actual).all().item<bool>(), $"{what} differ from one forward's");
    }

    [Fact]
    public void Masks_of_a_chunked_forward_equal_one_forward_of_every_image()
    {
        using var scope = NewDisposeScope();
        var expected = first.Open;
        var actual = first.Twin.OpenMasks(first.Images);
        Assert.Equal(17, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int call = 0; call < expected.Count; call++) AssertSameMasks(expected[call], actual[call], $"ReLU call {call}: the chunked masks");
    }

    /// <summary>
    /// Candidate entries of every image at the ReLU calls <paramref name="callsOf"/> gives for it (default: 1, 8 and 16,
    /// spread over the network), with float64's own masks (<paramref name="open"/>), except the planted images, whose entry
    /// at one call says the opposite (their second call for even images, their last for odd ones): images 0, 15 and 16, and one of the last, partial chunk.
    /// </summary>
    static (KinkCandidates Candidates, int[] Planted) PlantedCandidates(List<Tensor> open, Func<int, int[]>? callsOf = null)
    {
        callsOf ??= _ => [1, 8, 16];
        long[] perImage = open.Select(mask => mask.numel() / Count).ToArray();
        int[] planted = [0, 15, 16, 41];
        var entries = new List<KinkEntry>();
        for (int slot = 0; slot < Count; slot++)
        {
            int[] calls = callsOf(slot);
            foreach (int call in calls)
            {
                long offset = (slot * 97 + call * 31) % perImage[call];
                bool open64 = open[call].flatten(1)[slot, offset].item<bool>();
                bool wrong = planted.Contains(slot) && call == (slot % 2 == 0 ? calls[1] : calls[^1]);
                entries.Add(new KinkEntry(call, slot, offset, wrong ? !open64 : open64));
            }
        }
        return (new KinkCandidates(Enumerable.Range(0, Count).Select(i => (long)i).ToArray(), entries.ToArray(), perImage, new double[Count]), planted);
    }

    /// <summary>Candidates whose deepest calls are early, in the middle and late in the network, by image: what lets the twin's forwards stop early.</summary>
    static int[] ShallowAndDeep(int slot) => (slot % 3) switch { 0 => [1, 3, 4], 1 => [2, 6, 9], _ => [5, 11, 12] };

    [Fact]
    public void The_wrong_masks_found_are_exactly_the_planted_ones_in_every_chunk()
    {
        using var scope = NewDisposeScope();
        var (candidates, planted) = PlantedCandidates(first.Open);
        Assert.Equal(planted.Select(slot => (long)slot), first.Twin.MasksDiffer(first.Images, candidates));
    }

    [Fact]
    public void Forwards_that_stop_after_their_deepest_candidate_find_exactly_the_planted_wrong_masks()
    {
        // Every image's deepest candidate is at call 4, 9 or 12 of 17: the images go through the twin in that order, and
        // each chunk's forward ends after its deepest call, so the forwards make fewer ReLU calls than 17 a chunk.
        using var scope = NewDisposeScope();
        var (candidates, planted) = PlantedCandidates(first.Open, ShallowAndDeep);
        long before = first.Twin.ReluCallsRun;
        Assert.Equal(planted.Select(slot => (long)slot), first.Twin.MasksDiffer(first.Images, candidates));
        long calls = first.Twin.ReluCallsRun - before, chunks = (Count + Float64Twin.ForwardChunk - 1) / Float64Twin.ForwardChunk;
        Assert.InRange(calls, 1, chunks * 13); // no chunk needs more than 13 calls (0 to 12)
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_masks_kept_for_the_wrong_images_are_one_forwards_masks_of_those_images(bool shallowCandidates)
    {
        // What the profiler settles a wrong image with, without a second float64 forward: each planted image's masks at
        // every ReLU call, cut out of its chunk's forward, must be one forward's masks of that image, entry for entry.
        using var scope = NewDisposeScope();
        var open = first.Open;
        var (candidates, planted) = PlantedCandidates(open, shallowCandidates ? ShallowAndDeep : null); // shallow: their chunks' forwards must go on to the end
        var kept = new Dictionary<long, Tensor[]>();
        first.Twin.MasksDiffer(first.Images, candidates, (slot, masks) => kept.Add(slot, masks));
        Assert.Equal(planted.Select(slot => (long)slot), kept.Keys.Order());
        foreach (var (slot, masks) in kept)
        {
            Assert.Equal(open.Count, masks.Length);
            for (int call = 0; call < open.Count; call++)
            {
                AssertSameMasks(open[call].narrow(0, slot, 1), masks[call], $"image {slot}, ReLU call {call}: the kept masks");
                masks[call].Dispose();
            }
        }
    }

    [Fact]
    public void A_twin_of_another_architecture_is_refused_with_a_message()
    {
        using var scope = NewDisposeScope();
        // The same parameter names and shapes, one ReLU call more: the twin runs 2 ReLU calls where the model runs 1.
        static nn.Module<Tensor, Tensor> Build(bool extraRelu) => extraRelu
            ? nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("relu", nn.ReLU()), ("again", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 26 * 26, 10)))
            : nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("relu", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 26 * 26, 10)));
        var model = Build(extraRelu: false);
        model.eval();
        ExactReference.Register(model, () => Build(extraRelu: true));
        using var twin = Float64Twin.For(model, ProfileLayout.For(model, Aggregation.NeuronWise))!;
        var image = SharedData.TestSplit.Images.narrow(0, 0, 1);
        var candidates = new KinkCandidates([0], [new KinkEntry(0, 0, 5, true)], [2 * 26 * 26], [0]);
        var error = Assert.Throws<InvalidOperationException>(() => twin.MasksDiffer(image, candidates));
        Assert.Contains("builds another architecture", error.Message);
        Assert.Contains("more ReLUs", error.Message);
    }
}
