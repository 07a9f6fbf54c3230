// Run by maven-invoker-plugin after the build succeeded: make sure ScheduledOnTwoInstancesIT really ran
// (a run in which failsafe finds no test, or skips it, would also "succeed").
def report = new File(basedir, 'target/failsafe-reports/TEST-io.github.distributedmutex.it.quarkus.scheduled.ScheduledOnTwoInstancesIT.xml')
assert report.isFile() : "no failsafe report ${report}: ScheduledOnTwoInstancesIT did not run"
def suite = new groovy.xml.XmlSlurper().parse(report)
int tests = suite.@tests.toInteger()
int failed = suite.@failures.toInteger() + suite.@errors.toInteger()
int skipped = suite.@skipped.toInteger()
println "ScheduledOnTwoInstancesIT: ${tests} tests, ${failed} failed, ${skipped} skipped"
assert tests >= 1 && failed == 0 && skipped == 0
assert new File(basedir, 'target/quarkus-app/quarkus-run.jar').isFile() : 'the application was not packaged'
def log = new File(basedir, 'build.log').text
assert log.contains('[ScheduledOnTwoInstancesIT] locked job, ticks') : 'the test did not report the ticks'
return true
