using System.Security.Cryptography;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>
/// <c>saliency</c> as a .NET tool: this build packed (<c>PackAsTool</c>), installed with <c>dotnet tool install</c> into a
/// scratch tool path, and run from a folder outside the repository, where it must find libtorch (with the GLIBCXX fix)
/// and the embedded default (Fashion-MNIST's test split, the default model) inside the package. Its statistics must equal
/// the repository's CLI's on the same images. The pack compresses ~450 MB on one core (14 s).
/// </summary>
[ExpectedSeconds(34)]
public class ToolPackageTests(ITestOutputHelper output)
{
    [Fact]
    public void The_tool_installs_into_a_scratch_tool_path_and_runs_from_any_folder()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string assembly in new[] { "saliency.dll", "ParameterSaliency.dll", "ParameterSaliency.Workbook.dll" })
            hash.AppendData(File.ReadAllBytes(Workbook.Output("ParameterSaliency.Cli", assembly)));
        string version = $"0.11.0-tool-{Convert.ToHexStringLower(hash.GetHashAndReset())[..12]}";
        string feed = Path.Combine(Path.GetTempPath(), "parameter-saliency-tool-feed", version);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!File.Exists(Path.Combine(feed, $"ParameterSaliency.Cli.{version}.nupkg")))
        {
            PackageTests.RemoveOlderTestVersionsFromNuGetCache(["ParameterSaliency.Cli"], "0.11.0-tool-", version);
            PackageTests.RemoveOlderFeeds(feed);
            var pack = Workbook.RunProgram("dotnet", $"pack lib/ParameterSaliency.Cli -c {Workbook.Configuration} --no-build -p:Version={version} -o \"{feed}\"");
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack.Output}\n{pack.Error}");
        }
        double packSeconds = clock.Elapsed.TotalSeconds;
        string scratch = PackageTests.ScratchFolder("tool");
        string tools = Path.Combine(scratch, "bin");
        var install = Workbook.RunProgram("dotnet", $"tool install ParameterSaliency.Cli --tool-path \"{tools}\" --add-source \"{feed}\" --version {version}", scratch);
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install.Output}\n{install.Error}");
        string saliency = Path.Combine(tools, "saliency");
        Assert.True(File.Exists(saliency), "no 'saliency' command in the tool path");
        long packageBytes = new FileInfo(Path.Combine(feed, $"ParameterSaliency.Cli.{version}.nupkg")).Length;

        var models = Workbook.RunProgram(saliency, "models", scratch);
        Assert.True(models.ExitCode == 0, models.Output + models.Error);
        Assert.Contains("resnet50", models.Output);

        var fromTool = Workbook.RunProgram(saliency, "stats --limit 32 --engine Loop --out tool.safetensors", scratch);
        Assert.True(fromTool.ExitCode == 0, fromTool.Output + fromTool.Error);
        string reference = Path.Combine(scratch, "repository.safetensors");
        StatisticsPassTests.Succeed($"stats --limit 32 --engine Loop --out \"{reference}\"");
        var (tool, repository) = (StatisticsPassTests.Read(Path.Combine(scratch, "tool.safetensors")), StatisticsPassTests.Read(reference));
        Assert.Equal(32, tool.Count);
        Assert.Equal(repository.Mean, tool.Mean); // the same model, images and engine: the same numbers
        Assert.Equal(repository.Std, tool.Std);
        output.WriteLine($"tool package {packageBytes / 1e6:F0} MB, packed in {packSeconds:F0} s; installed into a scratch tool path; 'saliency stats' over 32 images from {scratch} equal the repository's");
    }
}
