using System.Globalization;
using System.Text.RegularExpressions;

namespace ParameterSaliency.Tests;

public class CommandLineTests
{
    static string Saliency => Workbook.Output("ParameterSaliency.Cli", "saliency.dll");

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
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, $"train --dataset fashion-mnist:test --test-dataset none --limit 256 --epochs 1 --width 4 --out \"{output}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("epoch 1/1", stderr);
        using var loaded = Models.ModelFile.Load(output, TorchSharp.torch.CPU);
        Assert.Equal("saliency train", loaded.Metadata["trained_with"]);
        Assert.Equal(4, loaded.Model.Config.Width);
    }
}
