using System.Globalization;
using System.Text.RegularExpressions;

namespace ParameterSaliency.Tests;

[ExpectedSeconds(149)]
public class CommandLineTests
{
    internal static string Saliency => Workbook.Output("ParameterSaliency.Cli", "saliency.dll");

    [Fact]
    public void Evaluate_prints_accuracy_and_confusion_matrix()
    {
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, "evaluate --model data/models/fashion-resnet18-w16.safetensors --dataset fashion-mnist:test");
        Assert.True(exitCode == 0, stderr);
        var match = Regex.Match(stdout, @"accuracy (\d\.\d+)");
        Assert.True(match.Success, stdout);
        Assert.True(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) >= 0.92, stdout);
        Assert.Contains("Ankle boot", stdout);
    }

    [Fact]
    public void Atlas_writes_its_clusters_and_compare_prints_a_table()
    {
        const string Stats = "--stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors";
        string output = Directory.CreateTempSubdirectory().FullName;
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, $"atlas {Stats} --clusters 3 --permutations 200 --randomisation-check --out \"{output}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("3 failure modes", stdout);
        var rows = File.ReadAllLines(Path.Combine(output, "clusters.csv")).Skip(1).Select(line => line.Split(',')).ToArray();
        Assert.Equal(rows.Length, rows.Select(r => r[1]).Distinct().Count()); // each mistake in one cluster
        Assert.All(rows, r => Assert.NotEqual(r[2], r[3]));                    // every row is a mistake
        Assert.Equal(["1", "2", "3"], rows.Select(r => r[0]).Distinct().Order());
        foreach (int cluster in new[] { 1, 2, 3 })
            Assert.Equal(0x89, File.ReadAllBytes(Path.Combine(output, $"cluster-{cluster}.png"))[0]); // a PNG signature
        string atlasText = File.ReadAllText(Path.Combine(output, "atlas.md"));
        Assert.Contains("| cluster | mistakes |", atlasText);
        Assert.Equal(3, Regex.Matches(atlasText, @"^\| \d \| \d+ of \d+ \| ", RegexOptions.Multiline).Count); // a randomisation row per cluster

        (exitCode, stdout, stderr) = Workbook.Run(Saliency, $"compare {Stats} --a 0-19 --b 20-39 --permutations 200");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("| filter | mean ŝ A | mean ŝ B |", stdout);
        (exitCode, _, stderr) = Workbook.Run(Saliency, $"compare {Stats} --a 0-19 --b 10-29");
        Assert.Equal(1, exitCode);
        Assert.Contains("share images", stderr);
    }

    [Fact]
    public void Unknown_dataset_is_one_clear_line_and_exit_code_1()
    {
        var (exitCode, _, stderr) = Workbook.Run(Saliency, "evaluate --dataset mnist:test");
        Assert.Equal(1, exitCode);
        Assert.Contains("Unknown data set 'mnist:test'", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Train_smoke_run_writes_a_loadable_model()
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory().FullName, "smoke.safetensors");
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, $"train --dataset fashion-mnist:test --test-dataset none --limit 256 --epochs 1 --width 8 --out \"{output}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("epoch 1/1", stderr);
        using var loaded = Models.ModelFile.Load(output, TorchSharp.torch.CPU);
        Assert.Equal("saliency train", loaded.Metadata["trained_with"]);
        Assert.Equal(8, ((Models.ResNet)loaded.Model).Config.Width);
    }

    [Fact]
    public void Stats_shards_merged_on_the_command_line_equal_one_pass_and_top_prints_filter_names()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string Run(string arguments)
        {
            var (exitCode, stdout, stderr) = Workbook.Run(Saliency, arguments);
            Assert.True(exitCode == 0, stderr);
            return stdout;
        }
        Run($"stats --limit 30 --out \"{folder}/all.safetensors\"");
        Run($"stats --limit 30 --shard 1/2 --out \"{folder}/1.safetensors\"");
        Run($"stats --limit 30 --shard 2/2 --out \"{folder}/2.safetensors\"");
        Run($"stats merge \"{folder}/1.safetensors\" \"{folder}/2.safetensors\" --out \"{folder}/merged.safetensors\"");
        var whole = ParameterSaliency.Saliency.SaliencyStatistics.Load($"{folder}/all.safetensors");
        var merged = ParameterSaliency.Saliency.SaliencyStatistics.Load($"{folder}/merged.safetensors");
        Assert.Equal(30, merged.Count);
        Assert.Equal(whole.Data, merged.Data);
        // The merge is exact (StatisticsTests); the profiles themselves differ by float32 rounding when batched differently.
        TinyModels.AssertFloat32Entries(merged.Mean, whole.Mean, "μ of merged shards vs one pass");
        TinyModels.AssertFloat32Entries(merged.Std, whole.Std, "σ of merged shards vs one pass");

        string top = Run($"top --index 12 --stats \"{folder}/all.safetensors\" -k 5");
        Assert.Matches(@"\n\s+1\s+(conv1|layer\d\.\d\.(conv\d|downsample\.0))\.weight\[\d+\]", top);
        Assert.Equal(5, Regex.Matches(top, @"\.weight\[").Count);
    }

    [Fact]
    public void Profile_writes_inputs_labels_profiles_and_z()
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory().FullName, "profiles.safetensors");
        var (exitCode, _, stderr) = Workbook.Run(Saliency, $"profile --indices 3,5-6 --stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors --out \"{output}\"");
        Assert.True(exitCode == 0, stderr);
        using var content = Serialization.SafeTensors.Read(output);
        Assert.Equal(new long[] { 3, 1, 28, 28 }, content["inputs"].shape);
        Assert.Equal(new long[] { 3, 1200 }, content["profiles"].shape);
        Assert.Equal(new long[] { 3, 1200 }, content["z"].shape);
        Assert.Equal(new long[] { 3, 5, 6 }, content["indices"].data<long>().ToArray());
        Assert.Equal(1200, content.Metadata["filter_names"].Split(',').Length);
    }

    [Fact]
    public void Heatmap_with_an_index_outside_the_data_or_foreign_statistics_is_one_line_and_exit_code_1()
    {
        var (exitCode, _, stderr) = Workbook.Run(Saliency, "heatmap --stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors --index 10000 --out x.safetensors");
        Assert.Equal(1, exitCode);
        Assert.Contains("--index 10000 is outside the data set", stderr);
        (exitCode, _, stderr) = Workbook.Run(Saliency, "heatmap --stats data/statistics/fashion-resnet18-w16-planted-cue.fashion-mnist-test.safetensors --index 3 --out x.safetensors");
        Assert.Equal(1, exitCode);
        Assert.Contains("another model", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(Path.Combine(Workbook.Root, "x.safetensors")));
    }

    [Fact]
    public void Planted_cue_writes_its_table_as_markdown_and_csv()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, $"planted-cue --limit 3 --out \"{folder}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("turned", stdout);
        string[] csv = File.ReadAllLines(Path.Combine(folder, "planted-cue.csv"));
        Assert.Equal(5, csv.Length); // header + four methods
        Assert.All(csv.Skip(1), line => Assert.Contains(",3,", line));
        Assert.Contains("| Grad-CAM | 3 |", File.ReadAllText(Path.Combine(folder, "planted-cue.md")));
    }

    [Fact]
    public void Neighbors_prints_both_spaces_with_the_query_first_and_finetune_refuses_a_correct_sample()
    {
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, "neighbors --stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors --index 23 -n 3");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("saliency space, neighbours of #23", stdout);
        Assert.Contains("pixel space, neighbours of #23", stdout);
        Assert.Equal(2, Regex.Matches(stdout, @"\n\s+0\s+23\s+1\.000").Count);
        Assert.Equal(8, Regex.Matches(stdout, @"\n\s+\d\s+\d+\s+[01]\.\d{3}").Count);

        (exitCode, _, stderr) = Workbook.Run(Saliency, "finetune --stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors --samples 0 --out x");
        Assert.Equal(1, exitCode);
        Assert.Contains("0 is classified correctly", stderr);
    }

    [Fact]
    public void A_PyTorch_checkpoint_is_evaluated_with_its_architecture_and_normalisation_and_refused_without()
    {
        const string Checkpoint = "tests/fixtures/checkpoints/resnet18-cifar-w8.pth";
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, $"evaluate --model {Checkpoint} --arch resnet18-cifar --normalize fashion-mnist");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("resnet18-cifar (in 1, w 8, 10 classes) from resnet18-cifar-w8.pth", stdout);
        Assert.Matches(@"accuracy 0\.\d+", stdout);
        foreach (var (arguments, message) in new[]
        {
            ($"--model {Checkpoint} --arch resnet18-cifar", "does not record how its inputs were normalised"),
            ($"--model {Checkpoint} --normalize fashion-mnist", "does not say which architecture it holds"),
            ($"--model {Checkpoint} --arch resnet18-cifar --normalize fashion-mnist --mean 0.5 --std 0.5", "not both"),
            ("--arch vgg19", "holds a resnet18-cifar, not a vgg19"),
            ("--normalize imagenet", "the one given differs"),
        })
        {
            (exitCode, _, stderr) = Workbook.Run(Saliency, $"evaluate {arguments}");
            Assert.True(exitCode == 1 && stderr.Contains(message), $"evaluate {arguments}: exit {exitCode}, {stderr}");
            Assert.DoesNotContain("   at ", stderr);
        }
    }

    [Fact]
    public void Models_lists_the_papers_four_architectures_with_their_filter_counts()
    {
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, "models");
        Assert.True(exitCode == 0, stderr);
        foreach (var (name, filters) in new[] { ("resnet50", "26,560"), ("densenet121", "10,240"), ("vgg19 ", "5,504"), ("inception_v3", "18,112"), ("resnet18-cifar", "1,200") })
            Assert.Matches($@"\n{System.Text.RegularExpressions.Regex.Escape(name.Trim())}\s+{filters}\s", stdout);
    }
}
