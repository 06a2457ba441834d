namespace ParameterSaliency.Tests;

/// <summary>
/// Notebooks 00 to 05 re-pointed by their one setting cell at a non-default setting: the PyTorch-trained
/// CIFAR-style ResNet-18 of data/your-own-model (torchvision's BasicBlock, saved by torch.save) on its folder
/// of 300 RGB PNGs, as notebook 06 uses them. Run as the main job runs notebooks; the caches go to a
/// temporary statistics path, so the workbook's artifacts are not touched. Notebooks 00 to 04 run together in one
/// runner process (a fresh kernel each) and share that path, as one user's session would: one process start and one
/// pass over the folder for all five.
/// </summary>
[ExpectedSeconds(40)]
public class NotebookRepointTests(NotebookRepointTests.Run run) : IClassFixture<NotebookRepointTests.Run>
{
    static readonly string[] Together = ["00-getting-started.ipynb", "01-profiling.ipynb", "02-standardization.ipynb", "03-case-study.ipynb", "04-neighbors.ipynb"];

    public static TheoryData<string> Notebooks() => new(Together);

    /// <summary>One runner process over the re-pointed <see cref="Together"/>, shared by the rows.</summary>
    public sealed class Run
    {
        public Run() => Result = RunRepointed(Together);

        public (string Output, int ExitCode, string Stdout, string Stderr) Result { get; }
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_runs_on_a_PyTorch_model_and_an_image_folder(string notebook)
    {
        var (output, exitCode, stdout, stderr) = run.Result;
        string section = ExecutedNotebooks.RunnerSection(stdout, notebook);
        Assert.True(section.Contains("  ok: ", StringComparison.Ordinal), $"{notebook} re-pointed failed (runner exit code {exitCode}):\n{section}\n{stderr}");
        AssertRepointed(output, notebook);
    }

    /// <summary>Runs <paramref name="notebooks"/> in one runner process, each with its setting cell pointed at data/your-own-model and one statistics path, and the runner's <paramref name="parameters"/>.</summary>
    internal static (string Output, int ExitCode, string Stdout, string Stderr) RunRepointed(string[] notebooks, params string[] parameters)
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string own = Path.Combine(Workbook.Root, "data", "your-own-model");
        string setting = $"var setting = Workbook.From(@\\\"{Path.Combine(own, "model.pth")}\\\", @\\\"folder:{Path.Combine(own, "images")}\\\", arch: \\\"resnet18-cifar\\\", " +
                         $"normalization: new Normalization([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), statistics: @\\\"{Path.Combine(folder, "statistics.safetensors")}\\\");";
        foreach (string notebook in notebooks)
        {
            string source = File.ReadAllText(Path.Combine(Workbook.Root, "notebooks", notebook));
            const string DefaultSetting = "var setting = Workbook.Default;";
            Assert.Contains(DefaultSetting, source);
            File.WriteAllText(Path.Combine(folder, notebook), source.Replace(DefaultSetting, setting).Replace("\"#r \\\"../lib/", $"\"#r \\\"{Workbook.Root}/lib/"));
        }
        var (exitCode, stdout, stderr) = Workbook.Run(Workbook.Output("NotebookRunner", "NotebookRunner.dll"),
            string.Join(' ', notebooks.Select(n => $"\"{Path.Combine(folder, n)}\"")) + $" --out \"{folder}/out\"" + string.Concat(parameters.Select(p => $" --parameter \"{p}\"")));
        return (Path.Combine(folder, "out"), exitCode, stdout, stderr);
    }

    /// <summary>The executed copy exists and shows the re-pointed setting, not the default one.</summary>
    internal static void AssertRepointed(string output, string notebook)
    {
        string executed = File.ReadAllText(Path.Combine(output, notebook));
        Assert.Contains("folder:", executed); // the setting table names the image folder
        Assert.DoesNotContain("fashion-mnist:test", executed);
    }
}

/// <summary>
/// Notebook 05 re-pointed as above: a class of its own, so that it runs beside the other notebooks rather than after
/// them, with the smaller sizes the default notebook's test gives it (<see cref="Notebook05Tests"/>).
/// </summary>
[ExpectedSeconds(53)]
public class NotebookRepoint05Tests
{
    [Fact]
    public void Fine_tuning_runs_on_a_PyTorch_model_and_an_image_folder()
    {
        const string Notebook = "05-fine-tuning.ipynb";
        var (output, exitCode, stdout, stderr) = NotebookRepointTests.RunRepointed([Notebook], new Notebook05Tests(null!).Parameters);
        Assert.True(exitCode == 0, $"{Notebook} re-pointed failed:\n{stdout}\n{stderr}");
        NotebookRepointTests.AssertRepointed(output, Notebook);
    }
}
