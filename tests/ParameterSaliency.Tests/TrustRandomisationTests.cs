using TorchSharp;
using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using ParameterSaliency.Training;
using ParameterSaliency.Trust;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Model and data randomisation (SPEC §9): exactly the layers claimed, a relabelled model that fits its labels, and the CLI's tables.</summary>
[ExpectedSeconds(112)]
public class TrustRandomisationTests
{
    static Dictionary<string, Tensor> State(nn.Module model) =>
        model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.named_buffers().Select(b => (b.name, b.buffer)))
            .ToDictionary(t => t.Item1, t => t.Item2.detach().clone());

    /// <summary>Whether tensor <paramref name="name"/> belongs to <paramref name="layer"/>, written out for the test: a module's own parameters are named by "(own parameters)" after its prefix.</summary>
    static bool InLayer(string layer, string name)
    {
        const string Own = "(own parameters)";
        if (!layer.EndsWith(Own, StringComparison.Ordinal)) return name.StartsWith(layer + ".", StringComparison.Ordinal);
        string module = layer[..^Own.Length];
        return name.StartsWith(module, StringComparison.Ordinal) && name.Count(c => c == '.') == module.Count(c => c == '.');
    }

    static void AssertRandomisesExactlyItsLayers(nn.Module<Tensor, Tensor> trained, Func<nn.Module<Tensor, Tensor>> build, string[] expectedLayers)
    {
        var before = State(trained);
        using var randomisation = new LayerRandomisation(trained, seed: 7);
        Assert.Equal(expectedLayers, randomisation.Layers);
        Assert.All(before.Keys, name => Assert.Single(expectedLayers, layer => InLayer(layer, name))); // the layers partition the tensors
        using var freshModel = Runtime.GlobalRandom.Seeded(7, build);
        var fresh = State(freshModel);

        void Check(nn.Module<Tensor, Tensor> randomised, IReadOnlyCollection<string> layers, string what)
        {
            var state = State(randomised);
            Assert.Equal(before.Keys, state.Keys);
            foreach (var (name, tensor) in state)
            {
                bool owned = layers.Any(layer => InLayer(layer, name));
                Assert.True(tensor.equal(owned ? fresh[name] : before[name]).all().item<bool>(), $"{what}: {name} should be the {(owned ? "fresh" : "trained")} model's, bit for bit");
            }
            foreach (string layer in layers) // a randomisation that changed nothing would pass the loop above
                Assert.Contains(state, t => InLayer(layer, t.Key) && !t.Value.equal(before[t.Key]).all().item<bool>());
            Assert.False(randomised.training, $"{what}: the copy is in eval mode");
        }

        for (int step = 0; step <= randomisation.Layers.Count; step++)
        {
            using var cascading = randomisation.Cascading(step);
            Check(cascading, randomisation.Layers.Skip(randomisation.Layers.Count - step).ToArray(), $"cascading step {step}");
        }
        foreach (string layer in randomisation.Layers)
        {
            using var independent = randomisation.Independent(layer);
            Check(independent, [layer], $"{layer} alone");
        }
        foreach (var (name, tensor) in State(trained)) Assert.True(tensor.equal(before[name]).all().item<bool>(), $"the trained model's {name} changed");
        Assert.Throws<ArgumentOutOfRangeException>(() => randomisation.Cascading(expectedLayers.Length + 1));
        Assert.Throws<ArgumentException>(() => randomisation.Independent("layer5"));
    }

    [Fact]
    public void RandomisationTouchesExactlyTheLayersItClaims()
    {
        var config = ResNetConfig.CifarResNet18(1, 4, 10);
        using var resnet = TinyModels.Build(config, seed: 5);
        AssertRandomisesExactlyItsLayers(resnet, () => new ResNet(config),
            ["conv1", "bn1", "layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1", "fc"]);
        var vit = VitConfig.Tiny();
        // As if trained: every weight moved from its initial value (LayerNorm's ones and zeros, the zero class token too).
        using var transformer = Runtime.GlobalRandom.Seeded(5, () =>
        {
            var model = new VisionTransformer(vit);
            using Scalar noise = 0.01;
            using (no_grad()) foreach (var parameter in model.parameters()) parameter.add_(randn_like(parameter) * noise);
            return model;
        });
        AssertRandomisesExactlyItsLayers(transformer, () => new VisionTransformer(vit),
            ["(own parameters)", "conv_proj", "encoder.(own parameters)", .. Enumerable.Range(0, 6).Select(i => $"encoder.layers.encoder_layer_{i}"), "encoder.ln", "heads.head"]);
    }

    [Fact]
    public void ABuilderThatReturnsTheTrainedWeightsIsRefused()
    {
        var config = ResNetConfig.CifarResNet18(1, 4, 10);
        using var model = TinyModels.Build(config, seed: 5);
        Saliency.ExactReference.Register(model, () => TinyModels.Build(config, seed: 5)); // the same weights again, as re-reading a file would give
        var error = Assert.Throws<ArgumentException>(() => new LayerRandomisation(model));
        Assert.Contains("trained weights", error.Message);
    }

    [Fact]
    public void ASanityRunIsReproducible()
    {
        // A small ResNet on random images: every seed (layers, controls, SmoothGrad, random filters, classes, bootstrap) fixed,
        // two runs give the same table, and another seed another one.
        var config = ResNetConfig.CifarResNet18(1, 4, 10);
        using var model = TinyModels.Build(config, seed: 11);
        using var data = TinyModels.Dataset(48, 28, seed: 12);
        var statistics = Saliency.SaliencyStatistics.Compute(new Saliency.SaliencyProfiler(model), data);
        var options = new SanityOptions { Images = 4, ReferenceImages = 16, NeighbourImages = 24, Independent = false, DeletionSteps = 4 };
        // Rows as (test, method, step, metric, images) → mean; float32 profiles and maps may differ in their last bits between
        // runs (measured: 3.4e-7 in one ρ), so the means are compared within 1e-5.
        Dictionary<string, double> Table(SanityOptions o) => new SanityCheck(model, statistics, data, o).Run().ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(Fields).ToDictionary(f => string.Join('|', f[0], f[1], f[2], f[3], f[7]), f => Number(f[4]));
        var first = Table(options);
        var again = Table(options);
        string[] onlyFirst = first.Keys.Except(again.Keys).ToArray(), onlyAgain = again.Keys.Except(first.Keys).ToArray();
        Assert.True(onlyFirst.Length == 0 && onlyAgain.Length == 0,
            $"rows only in the first run: [{string.Join("; ", onlyFirst)}]; rows only in the second: [{string.Join("; ", onlyAgain)}]");
        // Every row that differs, the largest difference first, with both values in full (NaN against a number counts largest).
        static double Difference(double a, double b) => double.IsNaN(a) && double.IsNaN(b) ? 0 : double.IsNaN(a) || double.IsNaN(b) ? double.PositiveInfinity : Math.Abs(a - b);
        string[] differing = first.Select(row => (row.Key, row.Value, Again: again[row.Key], By: Difference(row.Value, again[row.Key])))
            .Where(row => row.By > 1e-5).OrderByDescending(row => row.By)
            .Select(row => $"{row.Key}: {row.Value:R} then {row.Again:R} (by {row.By:E2})").ToArray();
        Assert.True(differing.Length == 0, $"{differing.Length} of {first.Count} rows differ between two runs with the same seed (by more than 1e-5), " +
                                           $"on {Runtime.CpuKernels.Policy.Kernels}:\n{string.Join("\n", differing)}");
        var otherSeed = Table(options with { Seed = 1 });
        Assert.Contains(first, row => Math.Abs(row.Value - otherSeed[row.Key]) > 1e-3); // the seed does reach the results
        Assert.Contains($"{ModelRandomisationTest.Cascading}|ŝ (parameter saliency)|11|spearman|4", first.Keys);
    }

    [Fact]
    public void TheRelabelledModelFitsItsPermutedLabelsAndNothingElse()
    {
        using var saved = ModelFile.Load(WorkbookPaths.PermutedLabelsModel);
        Assert.Equal("1", saved.Metadata[TrainingMetadata.PermutedLabelsSeed]);
        Assert.Equal("5000", saved.Metadata["images"]);
        Assert.Contains("--permute-labels 1", saved.Metadata["command"]);
        using var train = DatasetCatalog.Load("fashion-mnist:train");
        using var test = DatasetCatalog.Load("fashion-mnist:test");
        long[] permuted = Trainer.LabelsTrainedOn(train, 5000, 1).data<long>().ToArray();
        int[] truth = train.LabelArray.Take(5000).ToArray();
        Assert.Equal(truth.Order().Select(l => (long)l), permuted.Order()); // a permutation of the true labels
        Assert.InRange(permuted.Where((l, i) => l != truth[i]).Count(), 4000, 5000);
        int[] predictions = Evaluator.Predict(saved.Model, train.Images.narrow(0, 0, 5000)).Predictions;
        double fit = (double)predictions.Where((p, i) => p == permuted[i]).Count() / 5000;
        Assert.True(fit >= 0.95, $"fit on the permuted labels {fit:P2}");
        // The fit recorded at training, within 10 of the 5,000 images: another processor's kernels may flip an image near a tie.
        Assert.Equal(double.Parse(saved.Metadata[TrainingMetadata.FitAccuracy], CultureInfo.InvariantCulture), fit, 0.002);
        double accuracy = Evaluator.Evaluate(saved.Model, test).Accuracy;
        Assert.InRange(accuracy, 0.0, 0.2); // chance is 0.1: it learnt nothing about the classes
    }

    [Fact]
    public void SanityCommandWritesTablesWhoseSummariesAreTheirImagesMeans()
    {
        string output = Directory.CreateTempSubdirectory().FullName;
        var (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency,
            $"sanity --stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors --images 4 --reference-images 64 --cue-images 4 --neighbour-images 200 --no-independent --out \"{output}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("| method | cascading randomisation |", stdout);
        Assert.Contains("cascading step 11/11", stderr);
        string[] lines = File.ReadAllLines(Path.Combine(output, "sanity.csv"));
        Assert.Equal("test,method,step,metric,value,ci_low,ci_high,images", lines[0]);
        var rows = lines.Skip(1).Select(Fields).ToArray();
        var images = File.ReadAllLines(Path.Combine(output, "images.csv")).Skip(1).Select(Fields).ToArray();
        var perImage = images.GroupBy(r => (r[0], r[1], r[2], r[3])).ToDictionary(g => g.Key, g => g.Select(r => Number(r[5])).Where(v => !double.IsNaN(v)).ToArray());
        foreach (var row in rows)
        {
            var values = perImage[(row[0], row[1], row[2], row[3])];
            Assert.Equal(values.Length, int.Parse(row[7], CultureInfo.InvariantCulture));
            if (values.Length == 0) continue;
            Assert.Equal(values.Average(), Number(row[4]), 1e-12);
            Assert.InRange(Number(row[4]), Number(row[5]) - 1e-12, Number(row[6]) + 1e-12);
        }
        // The random controls ignore the model: ρ = 1 at every step, so the test must fail them.
        var control = rows.Where(r => r[0] == ModelRandomisationTest.Cascading && r[1] == "random heatmap (control)" && r[3] == "spearman").ToArray();
        Assert.Equal(12, control.Length);
        Assert.All(control, r => Assert.Equal(1, Number(r[4]), 12));
        Assert.Contains("| random heatmap (control) | FAIL (1)", File.ReadAllText(Path.Combine(output, "sanity.md")));
        // §3.2 with random weights: the trained model's share, the randomised one's and pixel neighbours', over the same mistakes.
        var neighbours = rows.Where(r => r[0] == NeighbourRandomisationTest.Name).ToArray();
        Assert.Equal(["0", "11", "0"], neighbours.Select(r => r[2]));
        Assert.Single(neighbours.Select(r => r[7]).Distinct());
        // Insertion with every pixel revealed is the original image, as is deletion with none removed: the same p, image by image.
        string Key(string[] r) => $"{r[1]}#{r[4]}";
        var deletionStart = images.Where(r => r[0] == "deletion" && r[3] == "probability" && r[2] == "0").ToDictionary(Key, r => Number(r[5]));
        var insertionEnd = images.Where(r => r[0] == "insertion" && r[3] == "probability" && r[2] == "16").ToArray();
        Assert.NotEmpty(insertionEnd);
        Assert.All(insertionEnd, r => Assert.Equal(deletionStart[Key(r)], Number(r[5]), 1e-6)); // measured: identical on this CPU
        Assert.Equal(0x89, File.ReadAllBytes(Path.Combine(output, "randomisation-grid.png"))[0]);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, "randomisation.svg")));
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, "deletion-insertion.svg")));
    }

    static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>A CSV line's fields (a quoted field may hold commas).</summary>
    static string[] Fields(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields.ToArray();
    }
}
