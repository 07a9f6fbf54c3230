// Run by maven-invoker-plugin after the build succeeded: make sure the Quarkus tests really ran
// (a skipped or empty test run would also "succeed").
def report = new File(basedir, 'target/surefire-reports/TEST-io.github.distributedmutex.it.quarkus.LockedOnQuarkusTest.xml')
assert report.isFile() : "no surefire report ${report}: the @QuarkusTest did not run"
def suite = new groovy.xml.XmlSlurper().parse(report)
int tests = suite.@tests.toInteger()
int failed = suite.@failures.toInteger() + suite.@errors.toInteger()
int skipped = suite.@skipped.toInteger()
println "LockedOnQuarkusTest: ${tests} tests, ${failed} failed, ${skipped} skipped"
assert tests >= 4 && failed == 0 && skipped == 0
def operations = new File(basedir, 'target/surefire-reports/TEST-io.github.distributedmutex.it.quarkus.OperationsOnQuarkusTest.xml')
assert operations.isFile() : "no surefire report ${operations}: OperationsOnQuarkusTest did not run"
def ops = new groovy.xml.XmlSlurper().parse(operations)
println "OperationsOnQuarkusTest: ${ops.@tests} tests, ${ops.@failures} failures, ${ops.@errors} errors, ${ops.@skipped} skipped"
assert ops.@tests.toInteger() >= 3 && ops.@failures.toInteger() + ops.@errors.toInteger() == 0 && ops.@skipped.toInteger() == 0
def reactive = new File(basedir, 'target/surefire-reports/TEST-io.github.distributedmutex.it.quarkus.ReactiveLockedOnQuarkusTest.xml')
assert reactive.isFile() : "no surefire report ${reactive}: ReactiveLockedOnQuarkusTest did not run"
def rx = new groovy.xml.XmlSlurper().parse(reactive)
println "ReactiveLockedOnQuarkusTest: ${rx.@tests} tests, ${rx.@failures} failures, ${rx.@errors} errors, ${rx.@skipped} skipped"
assert rx.@tests.toInteger() >= 4 && rx.@failures.toInteger() + rx.@errors.toInteger() == 0 && rx.@skipped.toInteger() == 0
def log = new File(basedir, 'build.log').text
assert log.contains('[RedisTestResource] the application uses Redis at') : 'the test Redis was not started'
return true
