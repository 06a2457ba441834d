using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The packages as a user meets them: packed from this build into a local feed, then used from a scratch folder
/// outside the repository by a .NET 10 file-based app (<c>#:package</c>) and by a notebook (<c>#r "nuget: ..."</c>),
/// each of which profiles a seeded model and renders a chart (tests/package-consumer/). Their profiles must equal
/// the same computation done through the project reference, in a child process of its own: the seeded draws use
/// libtorch's process-wide generator, which other tests of this process draw from meanwhile.
/// </summary>
[ExpectedSeconds(74)]
public class PackageTests
{
    const string PackedVersion = "0.11.0"; // what the consumer files name; replaced by this build's test version
    const string FeedPlaceholder = "/path/to/ParameterSaliency/artifacts/packages";
    static string Consumer(string file) => Path.Combine(Workbook.Root, "tests", "package-consumer", file);

    [Fact]
    public void File_based_app_in_a_scratch_folder_profiles_and_writes_a_chart()
    {
        var (feed, version) = PackedFeed();
        string scratch = ScratchFolder("app");
        File.WriteAllText(Path.Combine(scratch, "nuget.config"),
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><add key=\"parameter-saliency\" value=\"{feed}\" /></packageSources></configuration>\n");
        File.WriteAllText(Path.Combine(scratch, "profile-app.cs"),
            File.ReadAllText(Consumer("profile-app.cs")).Replace($"@{PackedVersion}", $"@{version}"));

        var (exitCode, output, error) = Workbook.RunProgram("dotnet", "run profile-app.cs -- out", scratch, TimeSpan.FromMinutes(10));
        Assert.True(exitCode == 0, $"the file-based app failed:\n{output}\n{error}");
        Assert.Contains("Plotly.newPlot", File.ReadAllText(Path.Combine(scratch, "out.html")));
        float[] fromApp = File.ReadAllLines(Path.Combine(scratch, "out.txt")).Select(line => float.Parse(line, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        AssertSameProfile(ExpectedFirstProfile(), fromApp, "file-based app");
    }

    /// <summary>The issue's first report: with a project reference the build's GLIBCXX fix never reached the app's output.</summary>
    [Fact]
    public void File_based_app_with_a_project_reference_loads_libtorch()
    {
        string scratch = ScratchFolder("project-reference");
        string project = Path.Combine(Workbook.Root, "lib", "ParameterSaliency.Notebooks", "ParameterSaliency.Notebooks.csproj");
        File.WriteAllText(Path.Combine(scratch, "profile-app.cs"),
            File.ReadAllText(Consumer("profile-app.cs")).Replace($"#:package ParameterSaliency.Notebooks@{PackedVersion}", $"#:project {project}"));
        // Its own configuration and output folders: the referenced projects build in Debug beside this suite's Release build.
        var (exitCode, output, error) = Workbook.RunProgram("dotnet", "run profile-app.cs -- out", scratch, TimeSpan.FromMinutes(10));
        Assert.True(exitCode == 0, $"the file-based app failed:\n{output}\n{error}");
        float[] fromApp = File.ReadAllLines(Path.Combine(scratch, "out.txt")).Select(line => float.Parse(line, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        AssertSameProfile(ExpectedFirstProfile(), fromApp, "file-based app with a project reference");
    }

    [Fact]
    public void Notebook_in_a_scratch_folder_loads_the_packages_profiles_and_charts()
    {
        string notebook = ScratchNotebook("notebook");
        string scratch = Path.GetDirectoryName(notebook)!;
        var (exitCode, output, error) = Workbook.Run(Workbook.Output("NotebookRunner", "NotebookRunner.dll"), $"\"{notebook}\" --out \"{scratch}/out\"", scratch);
        Assert.True(exitCode == 0, $"the scratch notebook failed:\n{output}\n{error}");
        AssertExecutedNotebook(Path.Combine(scratch, "out", "profile.ipynb"));
    }

    /// <summary>The case that fails with TorchSharp's own packages on Debian 12: the kernel loads TorchSharp from the NuGet cache.</summary>
    [SkippableFact]
    public void Notebook_in_a_scratch_folder_runs_in_real_jupyter()
    {
        bool haveJupyter = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "jupyter-nbconvert")));
        Skip.IfNot(haveJupyter, "Jupyter is not installed (Debian: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel); .ci/run installs it.");
        var (setupExit, setupOutput, setupError) = Workbook.RunProgram("bash", "environment/setup-jupyter.sh");
        Assert.True(setupExit == 0, setupOutput + setupError);
        string notebook = ScratchNotebook("jupyter");
        string scratch = Path.GetDirectoryName(notebook)!;
        var (exitCode, output, error) = Workbook.RunProgram("jupyter",
            $"nbconvert --to notebook --execute \"{notebook}\" --output-dir \"{scratch}/out\" --ExecutePreprocessor.kernel_name=.net-csharp --ExecutePreprocessor.timeout=600",
            scratch, TimeSpan.FromMinutes(15), new() { ["JUPYTER_PATH"] = Path.Combine(Workbook.Root, "environment", ".jupyter") });
        Assert.True(exitCode == 0, $"jupyter nbconvert failed:\n{output}\n{error}");
        AssertExecutedNotebook(Path.Combine(scratch, "out", "profile.ipynb"));
    }

    /// <summary>The consumer notebook in a fresh scratch folder, pointed at this build's feed and version.</summary>
    static string ScratchNotebook(string name)
    {
        var (feed, version) = PackedFeed();
        string notebook = Path.Combine(ScratchFolder(name), "profile.ipynb");
        File.WriteAllText(notebook, File.ReadAllText(Consumer("profile.ipynb"))
            .Replace(FeedPlaceholder, feed).Replace($"ParameterSaliency.Notebooks, {PackedVersion}", $"ParameterSaliency.Notebooks, {version}"));
        return notebook;
    }

    /// <summary>A chart was rendered and the printed s(x₀, y₀) equals the project reference's.</summary>
    static void AssertExecutedNotebook(string path)
    {
        string executed = File.ReadAllText(path);
        Assert.Contains("Plotly.newPlot", executed);
        var cells = JsonNode.Parse(executed)!["cells"]!.AsArray();
        var outputs = cells.Last(c => c!["cell_type"]!.GetValue<string>() == "code")!["outputs"]!.AsArray();
        var text = outputs.Select(o => o!["data"]?["text/plain"]).First(text => text is not null)!;
        string printed = text is JsonArray lines ? string.Concat(lines.Select(line => line!.GetValue<string>())) : text.GetValue<string>(); // nbformat: a string or a list of lines
        float[] fromNotebook = printed.Trim().Trim('"').Split(' ').Select(value => float.Parse(value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        AssertSameProfile(ExpectedFirstProfile()[..8], fromNotebook, path);
    }

    /// <summary>The consumers' computation through the project reference, s(x₀, y₀) of the seeded model: once, in a fresh process (<see cref="FirstProfileHere"/>).</summary>
    static float[] ExpectedFirstProfile() => firstProfile.Value;

    static readonly Lazy<float[]> firstProfile = new(() =>
    {
        var result = Runtime.ChildProcess.Run(typeof(PackageTests), nameof(FirstProfileHere), [], new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
        string? line = result.Output.Split('\n').LastOrDefault(l => l.StartsWith("profile ", StringComparison.Ordinal));
        Assert.True(result.ExitCode == 0 && line is not null, $"the seeded profile's child failed ({result.ExitCode}):\n{result.Output}\n{result.Error}");
        return line!["profile ".Length..].Split(' ').Select(value => float.Parse(value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    });

    /// <summary>Child entry point: prints s(x₀, y₀) of the seeded model, every value round-trip.</summary>
    internal static int FirstProfileHere(string[] arguments)
    {
        Console.WriteLine("profile " + string.Join(' ', FirstProfile().Select(value => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        return 0;
    }

    static float[] FirstProfile()
    {
        using var scope = NewDisposeScope();
        var (model, images) = Runtime.GlobalRandom.Seeded(7, () => (Architectures.Named("resnet18-cifar").Build(10, 3), randn(4, 3, 32, 32)));
        using var disposeModel = model;
        model.eval();
        var labels = tensor(new long[] { 0, 1, 2, 3 });
        using var profiles = new SaliencyProfiler(model).Profile(images, labels);
        return profiles.Row(0);
    }

    /// <summary>Same kernels, same cap, same engine: equal up to float32 summation order (relative L1 ≤ 1e-5).</summary>
    static void AssertSameProfile(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Sum();
        double scale = expected.Sum(e => Math.Abs((double)e));
        Assert.True(scale > 0 && difference / scale <= 1e-5, $"{what}: relative L1 difference {difference / scale:E2} from the project reference");
    }

    static readonly object PackGate = new();

    /// <summary>
    /// The four packages of this build, packed once per build into a feed under the temp folder, with a version
    /// that is the hash of the packed assemblies: the NuGet cache never serves a stale package under a reused
    /// version, and older test versions are removed from it.
    /// </summary>
    static (string Feed, string Version) PackedFeed()
    {
        string[] projects = ["ParameterSaliency", "ParameterSaliency.Workbook", "ParameterSaliency.Imaging", "ParameterSaliency.Notebooks"];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string project in projects) hash.AppendData(File.ReadAllBytes(Workbook.Output(project, project + ".dll")));
        string version = $"{PackedVersion}-test-{Convert.ToHexStringLower(hash.GetHashAndReset())[..12]}";
        string feed = Path.Combine(Path.GetTempPath(), "parameter-saliency-test-feed", version);
        lock (PackGate)
        {
            if (projects.All(project => File.Exists(Path.Combine(feed, $"{project}.{version}.nupkg")))) return (feed, version);
            RemoveOlderTestVersionsFromNuGetCache(projects, $"{PackedVersion}-test-", version);
            RemoveOlderFeeds(feed);
            foreach (string project in projects)
            {
                var (exitCode, output, error) = Workbook.RunProgram("dotnet",
                    $"pack \"{Path.Combine(Workbook.Root, "lib", project)}\" -c {Workbook.Configuration} --no-build -p:Version={version} -o \"{feed}\"");
                Assert.True(exitCode == 0, $"dotnet pack {project} failed:\n{output}\n{error}");
            }
        }
        return (feed, version);
    }

    /// <summary>Removes from the NuGet cache the versions of <paramref name="projects"/> that start with <paramref name="prefix"/>, except <paramref name="current"/>.</summary>
    internal static void RemoveOlderTestVersionsFromNuGetCache(string[] projects, string prefix, string current)
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string project in projects)
        {
            string folder = Path.Combine(cache, project.ToLowerInvariant());
            if (!Directory.Exists(folder)) continue;
            foreach (string old in Directory.GetDirectories(folder, prefix + "*").Where(old => Path.GetFileName(old) != current))
                Directory.Delete(old, recursive: true);
        }
    }

    /// <summary>
    /// Removes the other versions' feeds beside <paramref name="feed"/> that are more than an hour old (a run that is still
    /// using its feed is spared): each build packs a new version, and the tool's feed alone is 136 MB.
    /// </summary>
    internal static void RemoveOlderFeeds(string feed)
    {
        var versions = new DirectoryInfo(Path.GetDirectoryName(feed)!);
        if (!versions.Exists) return;
        foreach (var old in versions.GetDirectories().Where(d => d.FullName != Path.GetFullPath(feed) && d.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-1)))
        {
            try
            {
                old.Delete(recursive: true);
            }
            catch (IOException)
            {
                // another run removed it first, or still holds a file open: left for the next run
            }
        }
    }

    /// <summary>A fixed folder under the temp folder, emptied: the file-based app's build output (kept by the SDK per app path) is reused across runs.</summary>
    internal static string ScratchFolder(string name)
    {
        string folder = Path.Combine(Path.GetTempPath(), "parameter-saliency-scratch", name);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        Assert.False(folder.StartsWith(Workbook.Root, StringComparison.Ordinal), "the scratch folder must lie outside the repository");
        return folder;
    }
}
