using System.Globalization;
using System.Text.Json.Nodes;
using ParameterSaliency.Data;
using ParameterSaliency.Imaging;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The mistake explorer (<c>saliency explore</c>, <see cref="Explorer.Write"/>): what a reader clicks in a real browser,
/// offline, against <c>saliency top</c>, <c>saliency neighbors</c> and a forward pass and profiles computed here; bad
/// input; and the units of a Vision Transformer and of a PyTorch model on an image folder.
/// </summary>
[ExpectedSeconds(43)]
public class ExplorerTests(ITestOutputHelper output)
{
    const string DefaultStats = "data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors";
    const int Shown = 60, K = 10, Neighbours = 8;

    [SkippableFact]
    public void Clicking_a_mistake_a_cell_and_a_unit_shows_what_the_commands_and_an_independent_count_say()
    {
        Skip.If(BrowserCharts.WhyNot is not null, BrowserCharts.WhyNot);
        string folder = Path.Combine(Workbook.Root, "artifacts", "explorer-test");
        string page = Path.Combine(folder, "page");
        Directory.CreateDirectory(folder);
        var written = Workbook.Run(CommandLineTests.Saliency, $"explore --stats {DefaultStats} --most-mistakes {Shown} --correct-sample 200 -k {K} -n {Neighbours} --out \"{page}\"");
        Assert.True(written.ExitCode == 0, written.Error);
        output.WriteLine(written.Output.Trim());

        // The first mistakes by a plain forward pass and argmax, and their most frequent (true, predicted) cell.
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel);
        var test = SharedData.TestSplit;
        var mistakes = FirstMistakes(saved.Model, test, Shown);
        var (cellTrue, cellPredicted) = mistakes.GroupBy(m => (m.True, m.Predicted)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;

        var run = Workbook.RunProgram("node", $"explorer.mjs \"{Path.Combine(page, "index.html")}\" \"{Path.Combine(folder, "explorer")}\" {cellTrue} {cellPredicted}",
            BrowserCharts.Folder, TimeSpan.FromMinutes(3));
        var shown = BrowserCharts.LastJsonLine(run.Output);
        output.WriteLine(shown.ToJsonString());
        Assert.True(run.ExitCode == 0 && shown["errors"]!.AsArray().Count == 0, $"console errors: {shown["errors"]?.ToJsonString()}\n{run.Error}");
        Assert.Empty(shown["refused"]!.AsArray());
        Assert.True(shown["openMs"]!.GetValue<int>() < 4000, $"the page took {shown["openMs"]} ms to show its grid");
        foreach (string view in new[] { "overview", "mistake", "unit" }) Assert.True(File.Exists(Path.Combine(folder, $"explorer-{view}.png")), $"no screenshot of the {view}");

        int third = mistakes[2].Index;
        Assert.Equal(third, shown["third"]!.GetValue<int>());
        Assert.Equal(third, shown["panelIndex"]!.GetValue<int>());
        Assert.Equal(mistakes[3].Index, shown["afterArrow"]!.GetValue<int>());
        Assert.Equal([true, true, true, true], Ints<bool>(shown["maps"]));
        Assert.Equal(Shown, shown["afterEscape"]!.GetValue<int>());
        Assert.Equal(mistakes.MaxBy(m => m.Confidence).Index, shown["mostConfident"]!.GetValue<int>());
        Assert.Equal(mistakes.MinBy(m => m.Confidence).Index, shown["leastConfident"]!.GetValue<int>());

        var top = Workbook.Run(CommandLineTests.Saliency, $"top --stats {DefaultStats} --index {third} -k {K}");
        Assert.True(top.ExitCode == 0, top.Error);
        string[] topNames = top.Output.Split('\n').Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 5 && int.TryParse(fields[0], out _)).Select(fields => fields[1]).ToArray();
        Assert.Equal(K, topNames.Length);
        Assert.Equal(topNames, Ints<string>(shown["topUnits"]));

        var neighbours = Workbook.Run(CommandLineTests.Saliency, $"neighbors --stats {DefaultStats} --index {third} -n {Neighbours}");
        Assert.True(neighbours.ExitCode == 0, neighbours.Error);
        var (saliency, pixel) = NeighbourIndices(neighbours.Output);
        Assert.Equal(saliency.Skip(1), Ints<int>(shown["saliencyNeighbours"]));
        Assert.Equal(pixel.Skip(1), Ints<int>(shown["pixelNeighbours"]));

        Assert.Equal(mistakes.Where(m => m.True == cellTrue && m.Predicted == cellPredicted).Select(m => m.Index), Ints<int>(shown["cellMistakes"]));

        // The unit's panel against ŝ = (s − μ) / σ computed here in float64 and a plain sort of every shown mistake.
        string unit = shown["unitName"]!.GetValue<string>();
        Assert.Equal(topNames[^1], unit);
        var statistics = SaliencyStatistics.Load(Path.Combine(Workbook.Root, DefaultStats));
        var carried = mistakes.Where(m => TopUnits(saved.Model, statistics, test, m.Index, K).Contains(unit)).Select(m => m.Index).ToArray();
        Assert.Equal(carried, Ints<int>(shown["unitMistakes"]));
    }

    [Fact]
    public void Bad_input_gets_one_line_and_exit_1_and_leaves_a_folder_as_it_was()
    {
        string folder = Directory.CreateTempSubdirectory("explorer-bad-").FullName;
        try
        {
            string vitStats = Path.Combine(Workbook.Root, "data", "statistics", "fashion-vit-tiny.fashion-mnist-test.neurons.safetensors");
            AssertOneLine(Workbook.Run(CommandLineTests.Saliency, $"explore --stats \"{vitStats}\" --out \"{Path.Combine(folder, "page")}\""), "statistics");

            // Ten images the default model classifies correctly, one per class, as an image folder.
            using var saved = ModelFile.Load(WorkbookPaths.DefaultModel);
            var test = SharedData.TestSplit;
            var predictions = Predictions(saved.Model, test, 200);
            string images = Path.Combine(folder, "images");
            for (int c = 0; c < 10; c++)
            {
                int i = Enumerable.Range(0, 200).First(j => test.LabelArray[j] == c && predictions[j] == c);
                Directory.CreateDirectory(Path.Combine(images, $"{c}-{test.ClassNames[c].Replace('/', '-')}"));
                using var pixels = test.Pixels(i);
                File.WriteAllBytes(Path.Combine(images, $"{c}-{test.ClassNames[c].Replace('/', '-')}", $"{i}.png"), ImageTile.FromUnitTensor(pixels, "").ToPng());
            }
            AssertOneLine(Workbook.Run(CommandLineTests.Saliency, $"explore --stats {DefaultStats} --dataset \"folder:{images}\" --out \"{Path.Combine(folder, "page")}\""), "no mistake");

            string file = Path.Combine(folder, "a-file");
            File.WriteAllText(file, "not a folder");
            AssertOneLine(Workbook.Run(CommandLineTests.Saliency, $"explore --stats {DefaultStats} --most-mistakes 5 --out \"{Path.Combine(file, "page")}\""), "Cannot write");

            string someoneElses = Path.Combine(folder, "notes");
            Directory.CreateDirectory(someoneElses);
            File.WriteAllText(Path.Combine(someoneElses, "keep.txt"), "mine");
            AssertOneLine(Workbook.Run(CommandLineTests.Saliency, $"explore --stats {DefaultStats} --most-mistakes 5 --out \"{someoneElses}\""), "not a mistake explorer's");
            Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(someoneElses).Select(Path.GetFileName));
            Assert.False(Directory.Exists(Path.Combine(folder, "page")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_vision_transformer_shows_its_heads_and_a_pytorch_model_on_an_image_folder_its_filters()
    {
        string folder = Directory.CreateTempSubdirectory("explorer-units-").FullName;
        try
        {
            using var vit = ModelFile.Load(WorkbookPaths.VitModel);
            using var data = SharedData.TestSplit.Subset(Enumerable.Range(0, 300).ToArray());
            var heads = SaliencyStatistics.Load(WorkbookPaths.VitHeadStatistics);
            // A sanity run's per-image values, as 'saliency sanity' writes them: the page shows the trained model's (step 0).
            string sanity = Path.Combine(folder, "sanity");
            Directory.CreateDirectory(sanity);
            File.WriteAllText(Path.Combine(sanity, "sanity.md"), "# sanity\n");
            int measured = FirstMistakes(vit.Model, data, 1)[0].Index;
            File.WriteAllText(Path.Combine(sanity, "images.csv"), "test,method,step,metric,image,value\n" +
                $"deletion,\"boosted heatmap, top-10 (paper)\",0,auc,{measured},0.125\ndeletion,input gradient,1,auc,{measured},0.5\nrandom logit,input gradient,0,ssim,{measured + 1},0.25\n");

            var page = Explorer.Write(vit.Model, data, heads, Path.Combine(folder, "vit"), new ExplorerOptions { MostMistakes = 6, CorrectSample = 40, TopUnits = 5, SanityFolder = sanity });
            output.WriteLine(page.ToString());
            var overview = Script(Path.Combine(page.Folder, "data.js"), "window.EXPLORER_DATA = ");
            var units = overview["units"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()).ToArray();
            Assert.All(units, name => Assert.Contains(".head[", name));
            var first = overview["mistakes"]![0]!;
            int image = first["i"]!.GetValue<int>();
            Assert.Equal(measured, image);
            Assert.Equal(TopUnits(vit.Model, heads, data, image, 5), first["top"]!.AsArray().Select(t => units[t![0]!.GetValue<int>()]).ToArray());
            var chunk = Script(Path.Combine(page.Folder, "chunks", "mistakes-0.js"), "window.explorerChunk(0, ");
            var detail = chunk[image.ToString(CultureInfo.InvariantCulture)]!;
            Assert.Equal(4, detail["maps"]!.AsArray().Count(map => map is not null));
            Assert.Equal("[[\"deletion\",\"boosted heatmap, top-10 (paper)\",\"auc\",0.125]]", detail["sanity"]!.ToJsonString());
            Assert.Equal("../sanity/sanity.md", overview["sanity"]!["link"]!.GetValue<string>());

            // The unit panel's histograms and means against ŝ computed here, over the mistakes and the correct sample the page names.
            var unit = overview["units"]![first["top"]![0]![0]!.GetValue<int>()]!;
            int[] shownMistakes = overview["mistakes"]!.AsArray().Select(m => m!["i"]!.GetValue<int>()).ToArray();
            int[] correct = Ints<int>(overview["correctIndices"]);
            Assert.Equal(40, correct.Length);
            Assert.All(correct, i => Assert.DoesNotContain(i, shownMistakes));
            int entry = unit["entry"]!.GetValue<int>();
            foreach (var (group, histogram, mean) in new[] { (shownMistakes, "hm", "mm"), (correct, "hc", "mc") })
            {
                double[] z = group.Select(i => Standardized(vit.Model, heads, data, i)[entry]).ToArray();
                Assert.InRange(unit[mean]!.GetValue<double>() - z.Average(), -1e-3, 1e-3);
                var bins = overview["bins"]!;
                int binCount = bins["count"]!.GetValue<int>();
                long[] counts = new long[binCount];
                foreach (double v in z) counts[Math.Clamp((int)Math.Floor((v - bins["lowest"]!.GetValue<double>()) / bins["width"]!.GetValue<double>()), 0, binCount - 1)]++;
                Assert.Equal(counts, Ints<long>(unit[histogram]));
            }

            string own = Path.Combine(Workbook.Root, "data", "your-own-model");
            var run = Workbook.Run(CommandLineTests.Saliency, $"explore --model \"{Path.Combine(own, "model.pth")}\" --arch resnet18-cifar --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25 " +
                $"--dataset \"folder:{Path.Combine(own, "images")}\" --correct-sample 40 --out \"{Path.Combine(folder, "own")}\"");
            Assert.True(run.ExitCode == 0, run.Error);
            var ownOverview = Script(Path.Combine(folder, "own", "data.js"), "window.EXPLORER_DATA = ");
            using var pth = ModelFile.Load(Path.Combine(own, "model.pth"), arch: "resnet18-cifar", normalization: new Normalization([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]));
            using var images = DatasetCatalog.Load($"folder:{Path.Combine(own, "images")}", new ImageFolderOptions(null, null, pth.Normalization, false));
            var predictions = Predictions(pth.Model, images, images.Count);
            Assert.Equal(Enumerable.Range(0, images.Count).Where(i => predictions[i] != images.LabelArray[i]),
                ownOverview["mistakes"]!.AsArray().Select(m => m!["i"]!.GetValue<int>()));
            Assert.All(ownOverview["units"]!.AsArray(), u => Assert.Matches(@"\.weight\[\d+\]$", u!["name"]!.GetValue<string>()));

            // The images that excite a filter most, against its channel's mean output taken here one image at a time.
            var excited = ownOverview["units"]!.AsArray().First(u => u!["excite"] is JsonArray)!;
            string layer = excited["name"]!.GetValue<string>()[..excited["name"]!.GetValue<string>().IndexOf(".weight[", StringComparison.Ordinal)];
            int channel = int.Parse(excited["name"]!.GetValue<string>().Split('[', ']')[1], CultureInfo.InvariantCulture);
            int[] candidates = ownOverview["mistakes"]!.AsArray().Select(m => m!["i"]!.GetValue<int>()).Concat(Ints<int>(ownOverview["correctIndices"])).ToArray();
            var means = candidates.ToDictionary(i => i, i => ChannelMean(pth.Model, layer, channel, images, i));
            var expected = means.OrderByDescending(m => m.Value).Take(excited["excite"]!.AsArray().Count).ToArray();
            Assert.Equal(expected.Select(m => m.Key), excited["excite"]!.AsArray().Select(e => e![0]!.GetValue<int>()));
            Assert.All(excited["excite"]!.AsArray(), e => Assert.InRange(e![1]!.GetValue<double>() - means[e[0]!.GetValue<int>()], -2e-4, 2e-4)); // written to 4 decimals
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_mlp_without_a_spatial_layer_gets_three_maps_and_a_note()
    {
        string folder = Directory.CreateTempSubdirectory("explorer-mlp-").FullName;
        try
        {
            manual_seed(7);
            using var mlp = new Mlp(1, 28, [32], 10);
            using var data = SharedData.TestSplit.Subset(Enumerable.Range(0, 200).ToArray());
            var statistics = SaliencyStatistics.Compute(new SaliencyProfiler(mlp), data);
            var page = Explorer.Write(mlp, data, statistics, folder, new ExplorerOptions { MostMistakes = 4, CorrectSample = 10 });
            output.WriteLine(page.ToString());
            Assert.Contains(page.Notes, note => note.StartsWith("No Grad-CAM", StringComparison.Ordinal));
            Assert.Contains(page.Notes, note => note.StartsWith("No failure modes", StringComparison.Ordinal));
            var overview = Script(Path.Combine(folder, "data.js"), "window.EXPLORER_DATA = ");
            Assert.Equal("neuron", overview["unitNoun"]!.GetValue<string>());
            Assert.Empty(overview["modes"]!.AsArray());
            var chunk = Script(Path.Combine(folder, "chunks", "mistakes-0.js"), "window.explorerChunk(0, ");
            Assert.All(chunk.AsObject(), entry => Assert.Equal([true, true, false, true], entry.Value!["maps"]!.AsArray().Select(map => map is not null).ToArray()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The mean over positions of channel <paramref name="channel"/> of module <paramref name="layer"/>'s output for one image.</summary>
    static double ChannelMean(nn.Module<Tensor, Tensor> model, string layer, int channel, ImageDataset data, int image)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var module = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == layer).module;
        double mean = double.NaN;
        var remover = module.register_forward_hook((m, input, result) =>
        {
            mean = result[0, channel].to(ScalarType.Float64).mean().item<double>();
            return result;
        });
        try
        {
            model.call(data.Images.narrow(0, image, 1));
        }
        finally
        {
            remover.remove();
        }
        return mean;
    }

    /// <summary>The first <paramref name="count"/> misclassified images, by argmax of the logits, with the softmax probability of the predicted class.</summary>
    static List<(int Index, int True, int Predicted, double Confidence)> FirstMistakes(nn.Module<Tensor, Tensor> model, ImageDataset data, int count)
    {
        var found = new List<(int, int, int, double)>();
        for (int start = 0; found.Count < count && start < data.Count; start += 500)
        {
            int size = Math.Min(500, data.Count - start);
            using var part = data.Subset(Enumerable.Range(start, size).ToArray());
            var (predicted, confidence) = Classify(model, part, size);
            for (int j = 0; j < size && found.Count < count; j++)
                if (predicted[j] != data.LabelArray[start + j]) found.Add((start + j, data.LabelArray[start + j], predicted[j], confidence[j]));
        }
        return found;
    }

    static int[] Predictions(nn.Module<Tensor, Tensor> model, ImageDataset data, int count) => Classify(model, data, count).Predicted;

    static (int[] Predicted, double[] Confidence) Classify(nn.Module<Tensor, Tensor> model, ImageDataset data, int count)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var probabilities = nn.functional.softmax(model.call(data.Images.narrow(0, 0, count)).to(ScalarType.Float64), 1);
        var (confidence, predicted) = probabilities.max(1);
        return (predicted.data<long>().Select(p => (int)p).ToArray(), confidence.data<double>().ToArray());
    }

    /// <summary>The names of the <paramref name="k"/> largest entries of ŝ = (s − μ) / σ of one image, standardized here in float64.</summary>
    static string[] TopUnits(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, ImageDataset data, int image, int k)
    {
        double[] z = Standardized(model, statistics, data, image);
        return Enumerable.Range(0, z.Length).OrderByDescending(j => z[j]).Take(k).Select(j => statistics.EntryNames[j]).ToArray();
    }

    /// <summary>ŝ = (s − μ) / σ of one image, standardized here in float64 from its profile s.</summary>
    static double[] Standardized(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, ImageDataset data, int image)
    {
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Aggregation = statistics.Aggregation });
        using var profiles = profiler.Profile(data, [image]);
        double[] s = profiles.Values[0].to(ScalarType.Float64).data<double>().ToArray();
        return s.Select((v, j) => (v - statistics.Mean[j]) / (statistics.Std[j] <= StandardizedProfiles.MinStd ? 1 : statistics.Std[j])).ToArray();
    }

    static (int[] Saliency, int[] Pixel) NeighbourIndices(string text)
    {
        var lists = new List<List<int>>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Contains("neighbours of #", StringComparison.Ordinal)) lists.Add([]);
            else if (lists.Count > 0 && line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var rank, var index, ..] && int.TryParse(rank, out _))
                lists[^1].Add(int.Parse(index, CultureInfo.InvariantCulture));
        }
        Assert.Equal(2, lists.Count);
        return (lists[0].ToArray(), lists[1].ToArray());
    }

    static T[] Ints<T>(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<T>()).ToArray();

    static JsonNode Script(string path, string prefix)
    {
        string text = File.ReadAllText(path);
        Assert.StartsWith(prefix, text);
        return JsonNode.Parse(text[prefix.Length..].TrimEnd().TrimEnd(';').TrimEnd(')'))!;
    }

    void AssertOneLine((int ExitCode, string Output, string Error) run, string expected)
    {
        output.WriteLine(run.Error.Trim());
        Assert.Equal(1, run.ExitCode);
        var errors = run.Error.Split('\n').Where(line => line.StartsWith("saliency: error:", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 1, $"expected one error line, got:\n{run.Error}");
        Assert.Contains(expected, errors[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", run.Error);
    }
}
