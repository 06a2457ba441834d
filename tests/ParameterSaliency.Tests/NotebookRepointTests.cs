namespace ParameterSaliency.Tests;

/// <summary>
/// Notebooks 00 to 05 re-pointed by their one setting cell at a non-default setting: the PyTorch-trained
/// CIFAR-style ResNet-18 of data/your-own-model (torchvision's BasicBlock, saved by torch.save) on its folder
/// of 300 RGB PNGs, as notebook 06 uses them. Run as the main job runs notebooks; the caches go to a
/// temporary statistics path, so the workbook's artifacts are not touched.
/// </summary>
[ExpectedSeconds(64)]
public class NotebookRepointTests
{
    public static TheoryData<string> Notebooks() =>
        new() { "00-getting-started.ipynb", "01-profiling.ipynb", "02-standardization.ipynb", "03-case-study.ipynb", "04-neighbors.ipynb" };

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_runs_on_a_PyTorch_model_and_an_image_folder(string notebook) => RunRepointed(notebook);

    /// <summary>Runs <paramref name="notebook"/> with its setting cell pointed at data/your-own-model, and the runner's <paramref name="parameters"/>.</summary>
    internal static void RunRepointed(string notebook, params string[] parameters)
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string own = Path.Combine(Workbook.Root, "data", "your-own-model");
        string source = File.ReadAllText(Path.Combine(Workbook.Root, "notebooks", notebook));
        const string DefaultSetting = "var setting = Workbook.Default;";
        Assert.Contains(DefaultSetting, source);
        string setting = $"var setting = Workbook.From(@\\\"{Path.Combine(own, "model.pth")}\\\", @\\\"folder:{Path.Combine(own, "images")}\\\", arch: \\\"resnet18-cifar\\\", " +
                         $"normalization: new Normalization([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), statistics: @\\\"{Path.Combine(folder, "statistics.safetensors")}\\\");";
        string repointed = source.Replace(DefaultSetting, setting).Replace("\"#r \\\"../lib/", $"\"#r \\\"{Workbook.Root}/lib/");
        string path = Path.Combine(folder, notebook);
        File.WriteAllText(path, repointed);

        var (exitCode, stdout, stderr) = Workbook.Run(Workbook.Output("NotebookRunner", "NotebookRunner.dll"), $"\"{path}\" --out \"{folder}/out\"" +
            string.Concat(parameters.Select(p => $" --parameter \"{p}\"")));
        Assert.True(exitCode == 0, $"{notebook} re-pointed failed:\n{stdout}\n{stderr}");
        string executed = File.ReadAllText(Path.Combine(folder, "out", notebook));
        Assert.Contains("folder:", executed); // the setting table names the image folder
        Assert.DoesNotContain("fashion-mnist:test", executed);
    }
}

/// <summary>
/// Notebook 05 re-pointed as above: a class of its own, so that it runs beside the other notebooks rather than after
/// them, with the smaller sizes the default notebook's test gives it (<see cref="Notebook05Tests"/>).
/// </summary>
[ExpectedSeconds(43)]
public class NotebookRepoint05Tests
{
    [Fact]
    public void Fine_tuning_runs_on_a_PyTorch_model_and_an_image_folder() =>
        NotebookRepointTests.RunRepointed("05-fine-tuning.ipynb", new Notebook05Tests(null!).Parameters);
}
