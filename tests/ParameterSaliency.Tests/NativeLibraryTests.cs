using TorchSharp;
using System.Diagnostics;

namespace ParameterSaliency.Tests;

/// <summary>The build's GLIBCXX fix: applied to output copies only where the system lacks the version, never to the NuGet cache.</summary>
public class NativeLibraryTests
{
    static string ReadElfVersions(string path)
    {
        var start = new ProcessStartInfo("readelf", $"-V \"{path}\"") { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    static string? FlagsOf(string readelfOutput, string version) =>
        readelfOutput.Split('\n').FirstOrDefault(l => l.Contains($"Name: {version}"))?.Split("Flags:")[1].Trim().Split(' ')[0];

    [SkippableFact]
    public void Output_copy_marks_GLIBCXX_3_4_32_weak_exactly_when_the_system_lacks_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ELF check: Linux only");
        string output = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        string versions = ReadElfVersions(output);
        Skip.If(FlagsOf(versions, "GLIBCXX_3.4.32") is null, "this TorchSharp build does not need GLIBCXX_3.4.32");
        string systemLib = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" }.First(File.Exists);
        bool systemHasIt = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(systemLib)).Contains("GLIBCXX_3.4.32\0");
        Assert.Equal(systemHasIt ? "none" : "WEAK", FlagsOf(versions, "GLIBCXX_3.4.32"));

        string cache = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(cache)) Assert.Equal("none", FlagsOf(ReadElfVersions(cache), "GLIBCXX_3.4.32"));
    }

    /// <summary>The run-time loader's patch (the same code as the build's) read back by readelf: only the missing version becomes weak.</summary>
    [SkippableFact]
    public void Runtime_patch_of_the_NuGet_copy_weakens_only_what_the_system_lacks()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ELF check: Linux only");
        string cache = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(File.Exists(cache), "TorchSharp 0.107.0 is not in the NuGet cache");
        string systemLib = LibStdCxxVersionNeeds.FindSystemLibStdCxx();
        byte[] copy = File.ReadAllBytes(cache);
        var weakened = LibStdCxxVersionNeeds.Weaken(copy, LibStdCxxVersionNeeds.DefinedVersions(File.ReadAllBytes(systemLib)));
        string patched = Path.Combine(Directory.CreateTempSubdirectory().FullName, "libLibTorchSharp.so");
        File.WriteAllBytes(patched, copy);

        string before = ReadElfVersions(cache), after = ReadElfVersions(patched);
        var versions = before.Split('\n').Where(l => l.Contains("Name: GLIBCXX_")).Select(l => l.Split("Name: ")[1].Split(' ')[0]).ToArray();
        Assert.NotEmpty(versions);
        bool systemHas(string version) => System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(systemLib)).Contains(version + "\0");
        foreach (string version in versions)
        {
            string expected = systemHas(version) ? FlagsOf(before, version)! : "WEAK";
            Assert.Equal(expected, FlagsOf(after, version));
        }
        Assert.Equal(versions.Where(v => !systemHas(v)).Order(), weakened.Order());
        Assert.Equal(new FileInfo(cache).Length, new FileInfo(patched).Length);
    }

    [Fact]
    public void Libtorch_loads_and_computes()
    {
        Runtime.NativeTorch.EnsureLoaded();
        using Scalar four = 4f;
        using var x = TorchSharp.torch.arange(four);
        Assert.Equal(6f, x.sum().item<float>());
    }
}
