using System.Text.Json;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Tests;

/// <summary>
/// The authors' released ImageNet statistics (shared/fixtures beside the repository) imported with our filter
/// names, against an independent reading by PyTorch (tests/reference/authors_statistics_summary.py).
/// </summary>
public class AuthorsStatisticsTests
{
    static string Folder => Path.Combine(Workbook.Root, "..", "shared", "fixtures", "authors-imagenet-stats");

    [SkippableTheory]
    [InlineData("resnet50", 26_560)]
    [InlineData("densenet121", 10_240)]
    [InlineData("vgg19", 5_504)]
    [InlineData("inception_v3", 18_112)]
    public void The_four_files_import_with_the_filter_counts_and_values_PyTorch_reads(string arch, int filters)
    {
        string name = $"ImageNet_val_saliency_stat_{arch}_filter_wise.pth";
        string path = Path.Combine(Folder, name);
        Skip.IfNot(File.Exists(path), $"{path} is not here (the shared fixtures sit beside the repository)");
        var statistics = AuthorsStatistics.Import(path, arch);
        Assert.Equal(filters, statistics.EntryNames.Count);
        using var model = Runtime.GlobalRandom.Preserving(() => Architectures.Named(arch).Build(1000, 3));
        Assert.Equal(ProfileLayout.For(model, Aggregation.FilterWise).EntryNames, statistics.EntryNames);
        Assert.False(statistics.CountKnown);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Workbook.Fixtures, "authors-statistics-summary.json")));
        var expected = summary.RootElement.GetProperty(name);
        Assert.Equal(filters, expected.GetProperty("entries").GetInt32());
        double[] Values(string key) => expected.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(Values("mean_head"), statistics.Mean.Take(3));
        Assert.Equal(Values("mean_tail"), statistics.Mean.TakeLast(3));
        Assert.Equal(Values("std_head"), statistics.Std.Take(3));
        Assert.Equal(Values("std_tail"), statistics.Std.TakeLast(3));
        Assert.Equal(expected.GetProperty("mean_sum").GetDouble(), statistics.Mean.Sum(), 1e-9 * Math.Abs(statistics.Mean.Sum()));
        Assert.Equal(expected.GetProperty("std_sum").GetDouble(), statistics.Std.Sum(), 1e-9 * Math.Abs(statistics.Std.Sum()));
        Assert.Equal(expected.GetProperty("std_zero").GetInt32(), statistics.Std.Count(s => s <= 1e-14));

        string saved = Path.Combine(Directory.CreateTempSubdirectory().FullName, "imported.safetensors");
        statistics.Save(saved);
        var loaded = SaliencyStatistics.Load(saved);
        Assert.Equal(statistics.Mean, loaded.Mean);
        Assert.Equal(statistics.Std, loaded.Std);
        Assert.False(loaded.CountKnown);
        var error = Assert.Throws<ArgumentException>(() => SaliencyStatistics.Merge([loaded, statistics]));
        Assert.Contains("no sample count", error.Message);
    }

    [SkippableFact]
    public void Statistics_of_another_architecture_are_refused_on_the_command_line()
    {
        string path = Path.Combine(Folder, "ImageNet_val_saliency_stat_vgg19_filter_wise.pth");
        Skip.IfNot(File.Exists(path), $"{path} is not here");
        string output = Path.Combine(Directory.CreateTempSubdirectory().FullName, "vgg19.safetensors");
        var (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, $"stats import \"{path}\" --arch vgg19 --out \"{output}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("5504 FilterWise entries", stdout);
        (exitCode, _, stderr) = Workbook.Run(CommandLineTests.Saliency, $"stats import \"{path}\" --arch resnet50 --out \"{output}.2\"");
        Assert.Equal(1, exitCode);
        Assert.Contains("resnet50 has 26560 filters", stderr);
        Assert.False(File.Exists(output + ".2"));
    }
}
