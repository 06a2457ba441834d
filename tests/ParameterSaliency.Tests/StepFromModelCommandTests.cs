using System.Globalization;
using System.Text.RegularExpressions;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Tests;

/// <summary>Issue 15 end to end: <c>saliency train --schedule multistep</c> records its final learning rate, <c>finetune --step-from-model</c> steps with it.</summary>
public class StepFromModelCommandTests
{
    static string Saliency => CommandLineTests.Saliency;
    const string Images = "folder:data/your-own-model/images"; // 300 Fashion-MNIST test images in class folders

    [Fact]
    public void A_multistep_model_records_its_final_rate_and_finetune_steps_with_it()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string model = Path.Combine(folder, "multistep.safetensors");
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency,
            $"train --schedule multistep --epochs 3 --lr 0.05 --dataset fashion-mnist:test --test-dataset none --limit 256 --batch-size 64 --width 8 --out \"{model}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("final learning rate 0.0005", stdout);
        using (var saved = ModelFile.Load(model))
        {
            Assert.Equal("multistep", saved.Metadata["schedule"]);
            Assert.Equal("2,3", saved.Metadata["drop_epochs"]); // half and three quarters of 3 epochs, 1-based
            Assert.Equal("false", saved.Metadata["nesterov"]);
            Assert.Equal(0.05 / 100, double.Parse(saved.Metadata["final_lr"], CultureInfo.InvariantCulture), 1e-15);
        }

        string stats = Path.Combine(folder, "stats.safetensors");
        (exitCode, _, stderr) = Workbook.Run(Saliency, $"stats --model \"{model}\" --dataset {Images} --out \"{stats}\"");
        Assert.True(exitCode == 0, stderr);
        string tables = Path.Combine(folder, "tables");
        (exitCode, _, stderr) = Workbook.Run(Saliency, $"finetune --model \"{model}\" --dataset {Images} --stats \"{stats}\" --step-from-model --seeds 2 --out \"{tables}\"");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("Subset step 0.0005: the final learning rate recorded in multistep.safetensors", stderr);
        var rows = File.ReadAllLines(Path.Combine(tables, "table1.csv")).Skip(1).Select(line => line.Split(',')).ToArray();
        Assert.Equal(12, rows.Length); // 3 samples × top, least, random, all
        foreach (var row in rows)
        {
            double step = double.Parse(row[6], CultureInfo.InvariantCulture);
            Assert.Equal(row[4] == "All" ? 1e-4 : 0.0005, step, 1e-15);
        }
    }

    [Fact]
    public void The_committed_multistep_model_is_within_a_point_of_the_default_and_its_statistics_are_its_own()
    {
        // The classifications the notebooks cache (CommandLineTests runs `saliency evaluate` itself).
        double multiStep = SharedData.CachedEvaluation(Notebooks.Workbook.MultiStep).Accuracy;
        double oneCycle = SharedData.CachedEvaluation(Notebooks.Workbook.Default).Accuracy;
        Assert.True(multiStep >= oneCycle - 0.01, $"multi-step {multiStep:F4}, default {oneCycle:F4}: more than a point apart");

        using var saved = ModelFile.Load(WorkbookPaths.MultiStepModel);
        Assert.Equal(("multistep", "8,12", "15"), (saved.Metadata["schedule"], saved.Metadata["drop_epochs"], saved.Metadata["epochs"]));
        Assert.Equal(0.001, Training.TrainingMetadata.FinalLearningRateOf(saved.Metadata, WorkbookPaths.MultiStepModel));
        SaliencyStatistics.Load(WorkbookPaths.MultiStepStatistics).EnsureBelongsTo(new SaliencyProfiler(saved.Model)); // throws for another model's μ, σ
    }

    [Fact]
    public void Finetune_explains_a_model_without_a_final_rate_and_refuses_two_steps_and_bad_sweeps()
    {
        const string Stats = "--stats data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors";
        var (exitCode, _, stderr) = Workbook.Run(Saliency, $"finetune {Stats} --step-from-model --out x");
        Assert.Equal(1, exitCode);
        Assert.Contains("fashion-resnet18-w16.safetensors: the metadata has no 'final_lr' entry", stderr);
        Assert.Contains("--subset-step", stderr);
        (exitCode, _, stderr) = Workbook.Run(Saliency, $"finetune {Stats} --step-from-model --subset-step 0.01 --out x");
        Assert.Equal(1, exitCode);
        Assert.Contains("give one", stderr);
        (exitCode, _, stderr) = Workbook.Run(Saliency, $"finetune {Stats} --sweep 1e-3,fast --out x");
        Assert.Equal(1, exitCode);
        Assert.Contains("--sweep '1e-3,fast' is not a comma-separated list", stderr);
        (exitCode, _, stderr) = Workbook.Run(Saliency, $"finetune {Stats} --sweep 0,1e-2 --out x");
        Assert.Equal(1, exitCode);
        Assert.Contains("Step sizes must be positive and finite", stderr);
    }
}
